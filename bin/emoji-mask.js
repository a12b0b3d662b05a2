#!/usr/bin/env node
// The `emoji-mask` command. The CLI itself is TypeScript compiled to dist/ by `npm install`
// (the `prepare` script) or `npm run build:node`.
let cli;
try {
  cli = await import('../dist/node/cli.js');
} catch (error) {
  if (
    error?.code !== 'ERR_MODULE_NOT_FOUND' ||
    !String(error.message).includes('dist/node/cli.js')
  ) {
    throw error;
  }
  process.stderr.write(
    'emoji-mask: dist/node/cli.js is missing; build it with `npm run build:node`\n',
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
