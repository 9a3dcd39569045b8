// Plain Node.js scripts (CommonJS, run without a build): ESLint's
// recommended rules, for the Node version the repository requires.
module.exports = {
  env: { node: true, es2022: true },
  parserOptions: { ecmaVersion: 2022, sourceType: 'script' },
  extends: ['eslint:recommended'],
};
