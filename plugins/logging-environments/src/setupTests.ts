import '@testing-library/jest-dom';
// Rendering a whole page with Material UI and user-event typing takes
// seconds when the test runner shares two cores with the rest of the suite.
jest.setTimeout(30_000);
