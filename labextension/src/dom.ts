/**
 * An element with attributes (`className` sets the class) and children.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'className') {
      node.className = value;
    } else {
      node.setAttribute(key, value);
    }
  }
  node.append(...children);
  return node;
}

/**
 * A link that opens in a new tab, without access to this page.
 */
export function externalLink(
  href: string,
  text: string,
  className: string
): HTMLAnchorElement {
  return el(
    'a',
    { href, target: '_blank', rel: 'noopener noreferrer', className },
    text
  );
}
