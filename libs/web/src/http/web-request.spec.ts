import { localPath } from './web-request';

describe('localPath', () => {
  it.each([
    ['/alice/-/packages?type=npm', '/alice/-/packages?type=npm'],
    ['/', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['', '/'],
    [undefined, '/'],
  ])('%j → %s', (target, expected) => {
    expect(localPath(target)).toBe(expected);
  });
});
