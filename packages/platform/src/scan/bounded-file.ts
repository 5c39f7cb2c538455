/** Reading a user-supplied file whole, refusing it before reading when it is over a size bound. */
import { open } from 'node:fs/promises';
import { errorMessage, PalisadeError } from '../core/errors.js';

/**
 * The file's text; E_LIMIT when it is larger than `maxBytes`, E_NOT_FOUND when it is missing,
 * E_IO otherwise. `what` names the kind of file in messages (`KEV`, `VEX`).
 */
export async function readBoundedText(path: string, maxBytes: number, what: string): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.size > maxBytes)
        throw new PalisadeError(
          'E_LIMIT',
          `${path} is ${st.size} bytes, over the ${maxBytes}-byte limit for ${what} files`,
        );
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PalisadeError(
      code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO',
      `cannot read ${what} file ${path}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
