'use strict';
// An Express app made checkpointable with express-crac, which drains and closes
// the http.Server before a checkpoint and listens again after a restore.
const express = require('express');
const expressCrac = require('express-crac');

const app = express();
app.use(express.json());

const todos = [{ id: 1, title: 'checkpoint the server', done: true }];

app.get('/', (req, res) => res.json({ hello: 'express', pid: process.pid }));
app.get('/todos', (req, res) => res.json(todos));
app.post('/todos', (req, res) => {
  const todo = { id: todos.length + 1, title: String(req.body?.title ?? ''), done: false };
  todos.push(todo);
  res.status(201).json(todo);
});

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const server = app.listen(port, host, () => console.log(`express listening on http://${host}:${port}`));
expressCrac.register(server);
