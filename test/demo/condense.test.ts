import { describe, expect, it } from 'vitest';
import { condenseCodeBlocks } from '../../src/demo/condense.js';

describe('src/demo/condense', () => {
  it('cuts long code blocks in thread replies to their first lines and keeps short ones', () => {
    const long = ['    ↳   ```', ...Array.from({ length: 20 }, (_, i) => `    ↳    "k${i}": ${i},`), '    ↳   ```'];
    const short = ['  ```', '  verified: 3/3 ok', '  ```'];
    const out = condenseCodeBlocks([...short, 'text', ...long, 'after'].join('\n'), 6).split('\n');
    expect(out.slice(0, 4)).toEqual([...short, 'text']);
    expect(out).toContain('    ↳    "k5": 5,');
    expect(out).not.toContain('    ↳    "k6": 6,');
    expect(out).toContain('    ↳   … (14 more lines)');
    expect(out.at(-1)).toBe('after');
  });

  it('keeps a diff block whole: it is the change the approver approves', () => {
    const diff = ['  ```diff', ...Array.from({ length: 20 }, (_, i) => `  -line ${i}`), '  ```'];
    expect(condenseCodeBlocks(diff.join('\n'), 6)).toBe(diff.join('\n'));
  });
});
