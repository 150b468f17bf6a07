// Starts the Swagger UI on this server's own OpenAPI description; every script comes from this server.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    // No call-outs: the default would ask an online validator to check the description.
    validatorUrl: null,
  });
});
