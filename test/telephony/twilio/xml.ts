/** A tiny XML reader for TwiML in tests (elements, attributes, text, the five entities); no dependency needed. */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function parseXml(xml: string): XmlNode {
  const tokens = xml.replace(/<\?xml[^>]*\?>/, '').match(/<[^>]+>|[^<]+/g) ?? [];
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  for (const token of tokens) {
    const top = stack[stack.length - 1]!;
    if (token.startsWith('</')) {
      const name = token.slice(2, -1).trim();
      if (top.name !== name) throw new Error(`mismatched </${name}> inside <${top.name}>`);
      stack.pop();
    } else if (token.startsWith('<')) {
      const selfClosing = token.endsWith('/>');
      const inner = token.slice(1, selfClosing ? -2 : -1).trim();
      const name = inner.split(/\s/, 1)[0]!;
      const attrs: Record<string, string> = {};
      for (const m of inner.slice(name.length).matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[m[1]!] = decode(m[2]!);
      const node: XmlNode = { name, attrs, children: [], text: '' };
      top.children.push(node);
      if (!selfClosing) stack.push(node);
    } else if (token.trim()) {
      top.text += decode(token);
    }
  }
  if (stack.length !== 1) throw new Error('unclosed element');
  if (root.children.length !== 1) throw new Error('expected one root element');
  return root.children[0]!;
}

/** Direct children of `node` with the given element name. */
export const childrenNamed = (node: XmlNode, name: string) => node.children.filter((c) => c.name === name);
/** Element names of the direct children, in order. */
export const childNames = (node: XmlNode) => node.children.map((c) => c.name);
