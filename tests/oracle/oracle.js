// TensorFlow.js as an independent oracle of TensorFlow's semantics for StaticFlow's tests.
// Usage: node oracle.js cases.json results.json  -> writes a JSON array of results, one per case, in order.
//   {"kind": "gradient", "js": "tf.tanh(x[0])", "inputs": [{dtype, shape, values}], "weights": {shape, values}, "wrt": [0]}
//     -> the gradients of sum(weights * f(x)) with respect to x[i] for i in wrt (tf.grads).
//   {"kind": "optimizer", "optimizer": "adam", "settings": {...}, "start": [{shape, values}], "gradients": [[[...], ...], ...]}
//     -> the variables after applying each step's gradients with tf.train.<optimizer>.
//   {"kind": "forward", ...}: see forward() below.
'use strict';
const fs = require('fs');
const tf = require('@tensorflow/tfjs');

function tensor(spec) {
  return tf.tensor(spec.values, spec.shape, spec.dtype || 'float32');
}

function gradient(c) {
  const inputs = c.inputs.map(tensor);
  const fn = new Function('tf', 'x', 'return ' + c.js + ';');
  const weights = tensor(c.weights);
  const f = (...sources) => {
    const x = inputs.slice();
    c.wrt.forEach((index, k) => { x[index] = sources[k]; });
    return tf.sum(tf.mul(fn(tf, x), weights));
  };
  return tf.grads(f)(c.wrt.map(i => inputs[i])).map(g => Array.from(g.dataSync()));
}

let optimizerRuns = 0;

function optimizer(c) {
  const prefix = 'run' + (optimizerRuns++) + '_';
  const s = c.settings;
  const make = {
    sgd: () => tf.train.sgd(s.learningRate),
    momentum: () => tf.train.momentum(s.learningRate, s.momentum, s.nesterov),
    adam: () => tf.train.adam(s.learningRate, s.beta1, s.beta2, s.epsilon),
    rmsprop: () => tf.train.rmsprop(s.learningRate, s.rho, s.momentum, s.epsilon),
    adagrad: () => tf.train.adagrad(s.learningRate, s.initialAccumulator),
  }[c.optimizer];
  const opt = make();
  const variables = c.start.map((spec, i) => tf.variable(tensor(spec), true, prefix + i));
  for (const step of c.gradients) {
    const grads = {};
    step.forEach((values, i) => { grads[prefix + i] = tf.tensor(values, c.start[i].shape); });
    opt.applyGradients(grads);
  }
  return variables.map(v => Array.from(v.dataSync()));
}

// {"kind": "forward", "js": "tf.image.resizeBilinear(x[0], [5, 7], false, true)", "inputs": [...]}
//   -> the values of what the expression returns: a tensor, an array of tensors, or an object of tensors (topk).
function forward(c) {
  const x = c.inputs.map(tensor);
  const fn = new Function('tf', 'x', 'return ' + c.js + ';');
  const result = fn(tf, x);
  const tensors = result instanceof tf.Tensor ? [result] : Array.isArray(result) ? result : Object.values(result);
  return tensors.map(t => Array.from(t.dataSync()));
}

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = cases.map(c => {
  try {
    return { ok: true, values: c.kind === 'optimizer' ? optimizer(c) : c.kind === 'forward' ? forward(c) : gradient(c) };
  } catch (e) {
    return { ok: false, error: String(e && e.message || e) };
  }
});
fs.writeFileSync(process.argv[3], JSON.stringify(results));
