import { LruByBytes } from './lru-by-bytes';

describe('LruByBytes', () => {
  it('evicts the least recently used entries once the byte budget is exceeded', () => {
    const lru = new LruByBytes<string>(100);
    lru.set('a', 'A', 40);
    lru.set('b', 'B', 40);
    expect(lru.get('a')).toBe('A'); // a is now the most recently used
    lru.set('c', 'C', 40);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe('A');
    expect(lru.get('c')).toBe('C');
    expect(lru.bytes).toBe(80);
    expect(lru.size).toBe(2);
  });

  it('replaces an entry in place and keeps nothing larger than the whole budget', () => {
    const lru = new LruByBytes<string>(100);
    lru.set('a', 'A1', 60);
    lru.set('a', 'A2', 30);
    expect(lru.get('a')).toBe('A2');
    expect(lru.bytes).toBe(30);
    lru.set('huge', 'H', 101);
    expect(lru.get('huge')).toBeUndefined();
    expect(lru.get('a')).toBe('A2');
    lru.set('a', 'A3', 101); // a too-large replacement drops the old value too
    expect(lru.get('a')).toBeUndefined();
    expect(lru.bytes).toBe(0);
  });
});
