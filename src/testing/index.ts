/** Test case steps, test runs made from them (a result per step, an overall result), linked back. */
export { testingRoutes } from './testing.routes.js';
export { addStep, listSteps } from './steps.service.js';
export { createRun, recordStep, getRun } from './runs.service.js';
