/** Full-text and id search over records, their email, comments and files (one interface, both databases). */
export { searchRoutes } from './search.routes.js';
export { search, type SearchResult, type SearchOutput } from './search.service.js';
export { searchTerms, snippetParts } from './query.js';
