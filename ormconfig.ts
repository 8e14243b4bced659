// The TypeORM data source for the migration CLI; the server builds the same
// options in src/database/data-source-options.ts. The npm migration:* scripts
// run the CLI on the compiled copy (dist/database/data-source.js), since plain
// Node cannot load TypeScript.
export { default } from './src/database/data-source.js';
