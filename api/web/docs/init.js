// Swagger UI for the server's own OpenAPI document. No validator badge: it
// would send the document to an outside service.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
});
