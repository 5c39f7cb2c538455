/**
 * XML loading for analyzers: fast-xml-parser alone accepts broken markup, so
 * the text is validated first and a failure comes back with its line, never
 * as an exception out of the analyzer.
 */
import type * as FastXml from 'fast-xml-parser';
import { lazy } from '../../../core/lazy.js';
import type { ParseFailure } from './file-analyzer.js';

const xml = lazy<typeof FastXml>('fast-xml-parser');

export type XmlNode = Record<string, unknown>;

export function isXmlNode(v: unknown): v is XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates `text`, then parses it with `parser`; the document object, or a message and line. */
export function loadXml(text: string, parser: FastXml.XMLParser): { ok: true; doc: XmlNode } | ParseFailure {
  const valid = xml().XMLValidator.validate(text);
  if (valid !== true) return { ok: false, message: valid.err.msg, line: valid.err.line };
  try {
    const doc: unknown = parser.parse(text);
    if (!isXmlNode(doc)) return { ok: false, message: 'not an XML document' };
    return { ok: true, doc };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * A parser, made on first use, that keeps attributes (as `@_name`, values as
 * written) and drops namespace prefixes; elements named in `arrayTags` are
 * always arrays.
 */
export function attributeXmlParser(arrayTags: readonly string[]): () => FastXml.XMLParser {
  const tags = new Set(arrayTags);
  let parser: FastXml.XMLParser | undefined;
  return () =>
    (parser ??= new (xml().XMLParser)({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      removeNSPrefix: true,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      isArray: (name) => tags.has(name),
    }));
}

/** An attribute of an element parsed by an attributeXmlParser ('' when absent). */
export function xmlAttr(node: unknown, name: string): string {
  const v = isXmlNode(node) ? node[`@_${name}`] : undefined;
  return typeof v === 'string' ? v : '';
}

export function xmlChild(node: unknown, name: string): unknown {
  return isXmlNode(node) ? node[name] : undefined;
}

/** The child elements called `name`, as a list whether there is none, one or several. */
export function xmlChildren(node: unknown, name: string): unknown[] {
  const v = xmlChild(node, name);
  return Array.isArray(v) ? (v as unknown[]) : v === undefined ? [] : [v];
}
