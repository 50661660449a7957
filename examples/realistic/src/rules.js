'use strict';
// Business rules beyond the JSON shape (cross-field checks), written with Joi as
// services often do next to their transport schemas.
const Joi = require('joi');

function rulesFor(resource) {
  const { fields } = resource;
  const keys = { name: Joi.string().trim().min(1).max(120).required() };
  if (fields.amount) keys.amount = Joi.number().min(0).precision(2);
  if (fields.currency) keys.currency = Joi.string().length(3).uppercase();
  if (fields.amount && fields.currency) keys.currency = keys.currency.when('amount', { is: Joi.exist(), then: Joi.required() });
  if (fields.dueDate) keys.dueDate = Joi.date().iso().min('2000-01-01');
  if (fields.email) keys.email = Joi.string().email({ tlds: false });
  return Joi.object(keys).unknown(true);
}

module.exports = { rulesFor };
