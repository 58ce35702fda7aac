import { html } from '../html/html';
import { layout, Viewer } from './layout';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Page not found',
  409: 'Conflict',
  413: 'Too large',
  429: 'Too many requests',
};

export function errorPage(viewer: Viewer, status: number, message: string): string {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Error');
  // A 404 says nothing about what exists: private owners and packages look like missing ones.
  const detail = status === 404 ? 'There is nothing here, or you may not see it.' : message;
  return layout(
    viewer,
    title,
    html`<h1>${title}</h1>
      <p>${detail}</p>
      <p><a href="/explore/packages">Browse packages</a></p>`,
  );
}
