export { testEnvironment } from '../../testUtils/testEnvironment';
