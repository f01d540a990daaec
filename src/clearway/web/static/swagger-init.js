// Starts Swagger UI on /docs (a file, not an inline script, so that the page's CSP stays 'self').
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  // No call to validator.swagger.io: the page talks to its own origin only.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
