// Fails when the folders of src/ import each other in a cycle (issue 11): each
// folder may only depend on folders "below" it. `madge --circular` checks
// files; this checks folders, which is the layering that matters.
// Same options as the CLI (.madgerc): `import type` is skipped, since it is
// erased at compile time and orders nothing at run time. Specs are left out:
// they wire several features together on purpose (test/support).
import { readFileSync } from 'node:fs';
import madge from 'madge';

const options = JSON.parse(readFileSync(new URL('../.madgerc', import.meta.url), 'utf8'));
const graph = (await madge('src', options)).obj();

const folderOf = (file) => (file.includes('/') ? file.split('/')[0] : '(root)');
const isSource = (file) => !file.startsWith('..') && !file.endsWith('.spec.ts');

/** folder -> folder -> the file imports behind that edge */
const edges = new Map();
for (const [file, imports] of Object.entries(graph)) {
  if (!isSource(file)) continue;
  for (const imported of imports) {
    const from = folderOf(file);
    const to = folderOf(imported);
    if (from === to || !isSource(imported)) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const targets = edges.get(from);
    if (!targets.has(to)) targets.set(to, []);
    targets.get(to).push(`${file} > ${imported}`);
  }
}

// Tarjan's strongly connected components: each one with two or more folders is a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function visit(folder) {
  index.set(folder, counter);
  low.set(folder, counter++);
  stack.push(folder);
  onStack.add(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(folder, Math.min(low.get(folder), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(folder, Math.min(low.get(folder), index.get(next)));
    }
  }
  if (low.get(folder) === index.get(folder)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) cycles.push(component);
  }
}
for (const folder of edges.keys()) if (!index.has(folder)) visit(folder);

if (cycles.length === 0) {
  console.log(`No import cycle between the ${new Set([...Object.keys(graph).filter(isSource).map(folderOf)]).size} folders of src/.`);
} else {
  for (const component of cycles) {
    console.error(`Folders importing each other in a cycle: ${component.sort().join(', ')}`);
    for (const from of component) {
      for (const [to, files] of edges.get(from) ?? []) {
        if (component.includes(to)) console.error(`  ${from} -> ${to}: ${files.join('; ')}`);
      }
    }
  }
  process.exitCode = 1;
}
