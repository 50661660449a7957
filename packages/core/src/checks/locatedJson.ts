/**
 * A strict JSON parser that remembers where every value and key starts, so
 * that both syntax errors and errors found later while validating the policy
 * can name a line and column. (JSON.parse reports only an offset, and in a
 * wording that differs between V8 versions.)
 */

export interface Location {
  line: number;
  column: number;
}

export interface JsonMember {
  key: string;
  keyLocation: Location;
  value: JsonNode;
}

export type JsonNode = Location &
  (
    | { type: 'object'; members: JsonMember[] }
    | { type: 'array'; items: JsonNode[] }
    | { type: 'string'; value: string }
    | { type: 'number'; value: number }
    | { type: 'boolean'; value: boolean }
    | { type: 'null' }
  );

export class JsonSyntaxError extends Error {
  constructor(
    readonly detail: string,
    readonly location: Location,
  ) {
    super(`line ${location.line}, column ${location.column}: ${detail}`);
    this.name = 'JsonSyntaxError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = [
  ['true', { type: 'boolean', value: true }],
  ['false', { type: 'boolean', value: false }],
  ['null', { type: 'null' }],
] as const;

export function parseLocatedJson(text: string): JsonNode {
  let pos = text.startsWith('\uFEFF') ? 1 : 0;

  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const locationOf = (offset: number): Location => {
    let line = lineStarts.length;
    while (lineStarts[line - 1]! > offset) line--;
    return { line, column: offset - lineStarts[line - 1]! + 1 };
  };
  const fail = (detail: string, offset = pos): never => {
    throw new JsonSyntaxError(detail, locationOf(offset));
  };
  const found = (): string => (pos < text.length ? JSON.stringify(text[pos]) : 'end of file');
  const skipWhitespace = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const expect = (char: string, what: string) => {
    skipWhitespace();
    if (text[pos] !== char) fail(`expected ${what}, found ${found()}`);
    pos++;
  };

  const parseString = (): string => {
    const start = pos;
    pos++; // opening quote
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\') pos++;
      else if (text[pos]! < ' ') fail('unescaped control character in string');
      pos++;
    }
    if (pos >= text.length) fail('unterminated string', start);
    pos++;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      return fail('invalid escape sequence in string', start);
    }
  };

  const parseValue = (): JsonNode => {
    skipWhitespace();
    const location = locationOf(pos);
    const char = text[pos];
    if (char === '{') {
      pos++;
      const members: JsonMember[] = [];
      const keys = new Set<string>();
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return { ...location, type: 'object', members };
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        const keyOffset = pos;
        const key = parseString();
        if (keys.has(key)) fail(`duplicate key ${JSON.stringify(key)}`, keyOffset);
        keys.add(key);
        expect(':', "':' after the property name");
        members.push({ key, keyLocation: locationOf(keyOffset), value: parseValue() });
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expect('}', "',' or '}' after the property value");
        return { ...location, type: 'object', members };
      }
    }
    if (char === '[') {
      pos++;
      const items: JsonNode[] = [];
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return { ...location, type: 'array', items };
      }
      for (;;) {
        items.push(parseValue());
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expect(']', "',' or ']' after the array item");
        return { ...location, type: 'array', items };
      }
    }
    if (char === '"') return { ...location, type: 'string', value: parseString() };
    NUMBER.lastIndex = pos;
    const number = NUMBER.exec(text);
    if (number) {
      pos += number[0].length;
      return { ...location, type: 'number', value: Number(number[0]) };
    }
    for (const [word, node] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return { ...location, ...node };
      }
    }
    return fail(`expected a JSON value, found ${found()}`);
  };

  const root = parseValue();
  skipWhitespace();
  if (pos < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
  return root;
}
