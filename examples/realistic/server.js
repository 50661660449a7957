'use strict';
const { buildApp } = require('./src/app');

buildApp()
  .then(({ app, config }) => app.listen({ port: config.PORT, host: config.HOST }))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
