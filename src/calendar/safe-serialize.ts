/**
 * The one place iCalendar and vCard text leaves the bridge: serialization of an ical.js component
 * with every value made safe for a content line first.
 *
 * ical.js escapes LF, `\`, `;` and `,` in TEXT values (RFC 5545 §3.3.11, RFC 6350 §3.4) but lets a
 * lone CR through, and writes every other value type (CAL-ADDRESS, URI, X- properties of unknown
 * type) and every parameter verbatim apart from RFC 6868's `^n`. A CR (or CRLF) in a CRM field
 * would so end the content line (RFC 5545 §3.1, RFC 6350 §3.2) and what follows it would become a
 * property of its own on the server: `EMAIL:`, `TEL:`, `ATTENDEE:`. So, before ical.js writes:
 * - TEXT values keep their lines: every line break becomes LF, which ical.js writes as `\n`; other
 *   control characters are removed (TSAFE-CHAR excludes CONTROL, §3.3.11).
 * - Parameter values are one line: a run of control characters becomes a space (SAFE-CHAR and
 *   QSAFE-CHAR exclude CONTROL, RFC 5545 §3.1; RFC 6868 could encode a newline as `^n`, but no
 *   parameter the bridge writes, such as an attendee's CN, has more than one line).
 * - Every other value has no escaping at all, so control characters are removed.
 */
import ICAL from 'ical.js';
import { toMultiLine, toSingleLine, withoutControlCharacters } from '../domain/control-characters.js';

type Clean = (value: string) => string;

function cleanDeep(value: unknown, clean: Clean): unknown {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) return value.map((item) => cleanDeep(item, clean));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cleanDeep(item, clean)]));
  }
  return value;
}

/** A jCal/jCard property `[name, params, type, ...values]` (RFC 7265 §3.4, RFC 7095 §3.3). */
function safeProperty(property: unknown[]): unknown[] {
  const [name, params, type, ...values] = property;
  const cleanValue: Clean = type === 'text' ? toMultiLine : withoutControlCharacters;
  return [name, cleanDeep(params, toSingleLine), type, ...values.map((value) => cleanDeep(value, cleanValue))];
}

/** A jCal/jCard component `[name, properties, components]` (RFC 7265 §3.3). */
function safeComponent(component: unknown[]): unknown[] {
  const [name, properties, components] = component as [string, unknown[][], unknown[][] | undefined];
  const safe: unknown[] = [name, properties.map(safeProperty)];
  if (components !== undefined) safe.push(components.map(safeComponent));
  return safe;
}

/** The text of `component` (VCALENDAR or VCARD) with no value able to start a content line of its
 * own. ical.js joins lines with CRLF and folds them at 75 octets. */
export function serializeSafely(component: ICAL.Component): string {
  return new ICAL.Component(safeComponent(component.toJSON() as unknown[])).toString();
}
