// Jest runs tests as CommonJS and, without --experimental-vm-modules, cannot require() an
// ES-module-only package, which Node 24 itself does. Fastify's inject() loads light-my-request,
// which requires `cookie` 2 (ES module only): this compiles such packages to CommonJS for tests.
// package.json's jest.transformIgnorePatterns names the packages it applies to (wherever npm puts them).
const ts = require('typescript');

module.exports = {
  process(source, path) {
    const { outputText, sourceMapText } = ts.transpileModule(source, {
      fileName: path,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2023, sourceMap: true },
    });
    return { code: outputText, map: sourceMapText };
  },
};
