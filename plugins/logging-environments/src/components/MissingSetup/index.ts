export { MissingSetup } from './MissingSetup';
