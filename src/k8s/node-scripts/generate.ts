// Renders scripts.ts from lib.sh + <phase>.sh so the fixed scripts ship inside the compiled JS (no file lookups
// from dist/). Run after editing a .sh file: `npx tsx src/k8s/node-scripts/generate.ts`. A test fails when
// scripts.ts is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PHASES = ['prep', 'verify', 'cleanup'] as const;

export function renderScriptsModule(dir: string): string {
  const lib = readFileSync(`${dir}/lib.sh`, 'utf8');
  const entries = PHASES.map((p) => `  ${p}: ${JSON.stringify(`#!/bin/bash\n${lib}\n${readFileSync(`${dir}/${p}.sh`, 'utf8')}`)},`);
  return [
    '// GENERATED from lib.sh + <phase>.sh by generate.ts. Do not edit: change the .sh files and re-run',
    '// `npx tsx src/k8s/node-scripts/generate.ts`.',
    'export const NODE_SCRIPTS = {',
    ...entries,
    '} as const;',
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  writeFileSync(`${dir}/scripts.ts`, renderScriptsModule(dir));
}
