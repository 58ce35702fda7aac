import MarkdownIt from 'markdown-it';
import { SafeHtml } from './html';

// `html: false`: raw HTML in a README is shown as text, never passed through; markdown-it's
// link validation drops javascript:, vbscript:, file: and non-image data: URLs.
const renderer = new MarkdownIt({ html: false, linkify: false, typographer: false });

// Links from a README leave the site without a referrer and without access to the opener.
const defaultLinkOpen =
  renderer.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
renderer.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('rel', 'nofollow noopener noreferrer');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

// A README's headings sit under the page's "README" heading (h2): h1 becomes h3, and so on.
const demote = (tag: string) => `h${Math.min(6, Number(tag.slice(1)) + 2)}`;
renderer.core.ruler.push('demote_headings', (state) => {
  for (const token of state.tokens)
    if (token.type === 'heading_open' || token.type === 'heading_close')
      token.tag = demote(token.tag);
});

/** A README's markdown as markup that cannot carry script (see above). Bounded input. */
export function renderMarkdown(markdown: string): SafeHtml {
  return new SafeHtml(renderer.render(markdown.slice(0, 512 * 1024)));
}
