import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  contentMd5,
  dateHeader,
  macHex,
  mapGatewayData,
  md5Hex,
  parseCv,
  parseLogin,
  signRequest,
  stringToSign,
  type SecureDeviceInfo,
} from './secure.js';

const login = {
  SSD: { AK: 'secret-key', AKID: 'key-1' },
  GD: [
    {
      GMACID: 46477239136516,
      GN: 'IodicusGateway',
      ZNS: [{ ZID: 1, ZN: 'Lounge', DVS: [{ DRefID: 17, DTID: 2, DN: 'Thermostat' }] }],
    },
  ],
};

function devices(): Map<string, SecureDeviceInfo> {
  const parsed = parseLogin(login)!;
  return new Map(parsed.devices.map((d) => [`${d.zid}/${d.drefid}`, d]));
}

const answer = (values: { code: string; cv: string; lut: string }[], drefid = 17) => ({
  ALMS: [],
  GDDO: {
    LUT: values.at(-1)?.lut ?? '',
    GMACID: 46477239136516,
    GCS: '1',
    GN: 'IodicusGateway',
    ZNDS: [
      {
        ZID: 1,
        DDDO: [
          { DRefID: drefid, DPID: 64, DPDO: values.map((v) => ({ DPRefID: v.code, CV: v.cv, LUT: v.lut })) },
        ],
      },
    ],
  },
});

describe('Secure login and signing', () => {
  it('sends the MD5 hex of the password', () => {
    expect(md5Hex('password')).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
  });

  it('writes DateHeader as yyyyMMddTHHmmssfffZ in UTC', () => {
    expect(dateHeader(Date.parse('2016-06-13T10:34:23.850Z'))).toBe('20160613T103423850Z');
  });

  it('signs GET with HMAC-SHA1 over method, date, key id and the lower-cased path without query', () => {
    const now = Date.parse('2016-06-13T10:34:23.850Z');
    const headers = signRequest({ ak: 'secret-key', akid: 'key-1' }, 'GET', '/Gateway/GatewayData?x=1', now);
    const expected = createHmac('sha1', 'secret-key')
      .update('GET\n20160613T103423850Z\nkey-1\n/gateway/gatewaydata')
      .digest('base64');
    expect(headers).toEqual({ DateHeader: '20160613T103423850Z', Authorization: `SHS key-1:${expected}` });
  });

  it('adds Content-MD5 to a POST and to its string to sign', () => {
    const body = '{"a":1}';
    const headers = signRequest({ ak: 'k', akid: 'id' }, 'POST', '/Gateway/UpdateDeviceData', 0, body);
    expect(headers['Content-MD5']).toBe(contentMd5(body));
    expect(stringToSign('POST', 'd', 'id', '/Gateway/UpdateDeviceData', 'm')).toBe(
      'POST\nd\nid\n/gateway/updatedevicedata\nm',
    );
  });

  it('reads the session keys and every device with its type from the login answer', () => {
    expect(parseLogin(login)).toEqual({
      keys: { ak: 'secret-key', akid: 'key-1' },
      devices: [
        { gmacid: 46477239136516, zid: 1, zoneName: 'Lounge', drefid: 17, dtid: 2, deviceName: 'Thermostat' },
      ],
    });
    expect(parseLogin({ ID: 401, M: 'bad' })).toBeUndefined();
    expect(macHex(46477239136516)).toBe('2A4553543104');
  });
});

describe('Secure gatewaydata mapping', () => {
  it('maps zone → node, DRefID → device (DTID in metadata), DPRefID → parameter name', () => {
    const { points, cursor, connected } = mapGatewayData(
      answer([
        { code: '202', cv: '23.7', lut: '2026-06-13T11:34:23' },
        { code: '304', cv: '1234.5', lut: '2026-06-13T11:34:23' },
        { code: '999', cv: '7', lut: '2026-06-13T11:35:00' },
      ]),
      devices(),
      undefined,
    );
    expect(connected).toBe(true);
    const byName = Object.fromEntries(points.list().map((p) => [p.name, p]));
    expect(byName['1.17.measured_temperature']!.samples).toEqual([['2026-06-13T10:34:23.000Z', 23.7, 0]]);
    expect(byName['1.17.measured_temperature']!.meta).toMatchObject({
      dtid: 2,
      deviceType: 'SRT321 thermostat',
      zoneName: 'Lounge',
    });
    expect(byName['1.17.accumulated_energy']!.kind).toBe('counter');
    expect(byName['1.17.accumulated_energy']!.unit).toBe('kWh');
    expect(byName['1.17.dp_999']!.samples).toEqual([['2026-06-13T10:35:00.000Z', 7, 0]]);
    expect(cursor).toMatchObject({ lut: '2026-06-13T11:35:00', ms: Date.parse('2026-06-13T10:35:00Z') });
  });

  it('parses CV strings: numbers and on/off words; anything else is no data', () => {
    expect(parseCv(' -0.5')).toBe(-0.5);
    expect(parseCv('21')).toBe(21);
    expect(parseCv('true')).toBe(1);
    expect(parseCv('OFF')).toBe(0);
    expect(parseCv('n/a')).toBeUndefined();
    expect(parseCv('')).toBeUndefined();
  });

  it('follows LUT through the repeated autumn hour using the cursor, whatever the order of the answer', () => {
    const { points, cursor } = mapGatewayData(
      answer([
        { code: '202', cv: '20', lut: '2026-10-25T01:50:00' },
        { code: '202', cv: '21', lut: '2026-10-25T01:10:00' },
        { code: '202', cv: '22', lut: '2026-10-25T02:05:00' },
      ]),
      devices(),
      { lut: '2026-10-25T01:40:00', ms: Date.parse('2026-10-25T00:40:00Z'), setPoints: {} },
    );
    expect(points.list()[0]!.samples.map((s) => s[0])).toEqual([
      '2026-10-25T00:50:00.000Z',
      '2026-10-25T01:10:00.000Z',
      '2026-10-25T02:05:00.000Z',
    ]);
    // First pass: a later value listed before an earlier one is still the first instant.
    const firstPass = mapGatewayData(
      answer([
        { code: '202', cv: '20', lut: '2026-10-25T01:08:00' },
        { code: '202', cv: '21', lut: '2026-10-25T01:06:21' },
      ]),
      devices(),
      { lut: '2026-10-25T01:00:00', ms: Date.parse('2026-10-25T00:00:00Z'), setPoints: {} },
    );
    expect(firstPass.points.list()[0]!.samples.map((s) => s[0])).toEqual([
      '2026-10-25T00:08:00.000Z',
      '2026-10-25T00:06:21.000Z',
    ]);
    expect(cursor!.ms).toBe(Date.parse('2026-10-25T02:05:00Z'));
  });

  it('skips values at or before the cursor and raises set-point events on target changes', () => {
    const first = mapGatewayData(
      answer([{ code: '201', cv: '19', lut: '2026-01-01T10:00:00' }]),
      devices(),
      undefined,
    );
    expect(first.events).toEqual([]);
    const second = mapGatewayData(
      answer([
        { code: '201', cv: '19', lut: '2026-01-01T10:00:00' },
        { code: '201', cv: '21.5', lut: '2026-01-01T10:05:00' },
      ]),
      devices(),
      first.cursor,
    );
    expect(second.points.sampleCount).toBe(1);
    expect(second.events).toEqual([
      expect.objectContaining({ name: '1.17.target_temperature', from: 19, to: 21.5, origin: 'schedule' }),
    ]);
  });

  it('keeps the good values of an answer with bad ones', () => {
    const body = answer([{ code: '202', cv: '20', lut: '2026-01-01T10:00:00' }]);
    (body.GDDO.ZNDS as unknown[]).push(
      { ZID: 'x' },
      { ZID: 2, DDDO: [{ DRefID: 3, DPDO: [{ DPRefID: '202', CV: '1', LUT: 'bad' }] }] },
    );
    const { points, rejected } = mapGatewayData(body, devices(), undefined);
    expect(points.sampleCount).toBe(1);
    expect(rejected).toHaveLength(2);
    expect(mapGatewayData({ ID: 848 }, devices(), undefined).rejected).toHaveLength(1);
  });
});
