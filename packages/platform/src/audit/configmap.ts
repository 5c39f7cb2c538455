/** KSV109/KSV01010: secrets and personal data stored in ConfigMaps. */
import type { AuditObject, Failure } from './types.js';
import { isRec } from './util.js';

const SECRET_NAME =
  /(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)/i;
const PERSONAL_NAME = /(user(name)?|e-?mail|login)/i;

/** A value that is a literal, not empty and not a `${VAR}`/`$VAR` reference. */
function literal(v: string): boolean {
  const t = v.trim();
  return t !== '' && !/^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(t);
}

export function configMapSecrets(obj: AuditObject, personal: boolean): Failure[] {
  const data = obj.object['data'];
  if (!isRec(data)) return [];
  const re = personal ? PERSONAL_NAME : SECRET_NAME;
  const what = personal ? 'sensitive content' : 'secrets';
  const out: Failure[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') continue;
    let bad = re.test(key) && !value.includes('\n') && !value.includes('=') && literal(value);
    if (!bad) {
      for (const line of value.split('\n')) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*)$/.exec(line);
        if (m && re.test(m[1] ?? '') && literal((m[2] ?? '').replace(/^["']|["']$/g, ''))) {
          bad = true;
          break;
        }
      }
    }
    if (bad)
      out.push({
        message: `ConfigMap '${obj.name}' stores ${what} in data key '${key}'`,
        path: ['data', key],
      });
  }
  return out;
}
