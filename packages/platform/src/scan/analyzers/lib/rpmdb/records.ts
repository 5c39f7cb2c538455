/** What the database readers yield: a header blob, or a problem found in the container. */
export type DbRecord =
  | { kind: 'blob'; blob: Buffer; /** Where the blob was found, for messages. */ ref: string }
  | { kind: 'problem'; message: string };
