import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { contentMd5, dateHeader, md5Hex, parseDateHeader, signedHeaders, stringToSign } from './signing.js';

describe('Secure request signing', () => {
  it('writes DateHeader as yyyyMMddTHHmmssfffZ in UTC, like API.md’s example', () => {
    expect(dateHeader(Date.parse('2016-06-13T10:34:23.850Z'))).toBe('20160613T103423850Z');
    expect(parseDateHeader('20160613T103423850Z')).toBe(Date.parse('2016-06-13T10:34:23.850Z'));
    expect(parseDateHeader('2016-06-13T10:34:23Z')).toBeNull();
    expect(parseDateHeader('20161313T103423850Z')).toBeNull();
  });

  it('signs the lower-cased path without its query; POST adds the Content-MD5', () => {
    expect(stringToSign('GET', 'D', 'K1', '/Gateway/GatewayData?gatewayMACID=AB')).toBe(
      'GET\nD\nK1\n/gateway/gatewaydata',
    );
    expect(stringToSign('POST', 'D', 'K1', '/Gateway/UpdateDeviceData', 'M')).toBe(
      'POST\nD\nK1\n/gateway/updatedevicedata\nM',
    );
  });

  it('produces SHS AKID:base64(HMAC-SHA1(AK, …)) and an RFC 1864 Content-MD5', () => {
    const body = '{"a":1}';
    const h = signedHeaders({
      method: 'POST',
      path: '/Gateway/UpdateDeviceData',
      akid: 'K1',
      ak: 'secret',
      nowMs: 0,
      body,
    });
    expect(h['Content-MD5']).toBe(contentMd5(body));
    expect(Buffer.from(contentMd5(body), 'base64')).toHaveLength(16);
    const expected = createHmac('sha1', 'secret')
      .update(`POST\n19700101T000000000Z\nK1\n/gateway/updatedevicedata\n${contentMd5(body)}`)
      .digest('base64');
    expect(h.Authorization).toBe(`SHS K1:${expected}`);
    expect(md5Hex('password')).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
  });
});
