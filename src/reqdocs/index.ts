/** Requirement documents: an ordered list of requirements; a requirement may be in several documents. */
export { reqDocRoutes } from './reqdocs.routes.js';
export { addItem, listItems } from './reqdocs.service.js';
