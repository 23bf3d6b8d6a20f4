/** Where a point sits in EP's hierarchy (site → node → device → parameter). */
export interface PointPath {
  node: string;
  device: string;
  parameter: string;
}

/**
 * Maps an Insight system name to node / device / parameter.
 * - `RECCNTR.AH1.CCV` → RECCNTR / AH1 / CCV: first segment, middle segments joined with `.`, last.
 * - `EV.HX2` (two segments) → node EV, no device, parameter HX2.
 * - `OATEMP` (one segment) → node and parameter both OATEMP, no device: a building-wide point
 *   still needs a node, and repeating the name keeps it findable under either.
 * - `VFD1:DAY.NIGHT`, `TESTING.DONT.TOUCH:AUX TEMP` (Insight `Name:Suffix`, seen in point
 *   definition reports): the text after the first `:` is the parameter and the part before it
 *   is split as above into node and device (VFD1 / "" / DAY.NIGHT; TESTING / DONT.TOUCH / AUX TEMP).
 */
export function siemensPath(systemName: string): PointPath {
  const name = systemName.trim();
  const colon = name.indexOf(':');
  if (colon > 0 && colon < name.length - 1) {
    const segments = name.slice(0, colon).split('.').filter(Boolean);
    const parameter = name.slice(colon + 1).trim();
    if (segments.length === 0) return { node: parameter, device: '', parameter };
    return { node: segments[0]!, device: segments.slice(1).join('.'), parameter };
  }
  const segments = name.split('.').filter(Boolean);
  if (segments.length <= 1) return { node: name, device: '', parameter: name };
  if (segments.length === 2) return { node: segments[0]!, device: '', parameter: segments[1]! };
  return { node: segments[0]!, device: segments.slice(1, -1).join('.'), parameter: segments.at(-1)! };
}

/**
 * Maps a WebCTRL column or point name. A path `/Campus/Building/Area/Program/Point` → node = the
 * location (all but the last two segments, as the point list's Location column), device = the
 * control program, parameter = the point. Names without `/` are split like Insight names.
 */
export function alcPath(name: string): PointPath {
  const trimmed = name.trim();
  if (trimmed.includes('/')) {
    const segments = trimmed
      .split('/')
      .map((s) => s.trim())
      .filter(Boolean);
    if (segments.length >= 3) {
      return { node: segments.slice(0, -2).join('/'), device: segments.at(-2)!, parameter: segments.at(-1)! };
    }
    if (segments.length === 2) return { node: segments[0]!, device: '', parameter: segments[1]! };
  }
  return siemensPath(trimmed);
}
