module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // The benchmarks drive the backend plugin's services and its test
    // backend directly (as packages/backend's tests do); nothing imports
    // this package.
    '@backstage/no-mixed-plugin-imports': 'off',
  },
});
