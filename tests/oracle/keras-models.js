// Keras models written by TensorFlow.js's Keras implementation (tfjs-layers), for StaticFlow's Keras-weights tests.
// Usage: node keras-models.js OUTDIR
// For each model it writes OUTDIR/<name>/model.json and weights.bin (the "layers-model" format tfjs-node's
// model.save('file://...') writes), and OUTDIR/<name>/expected.json with an input and the model's prediction.
// Weights are drawn from a seeded generator, so that biases and batch-norm statistics are not the initial 0/1.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function generator(seed) {
  // mulberry32: small, seeded, the same on every node version.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const models = {
  // Conv2D + BatchNormalization + DepthwiseConv2D + pooling + Flatten + Dense + LayerNormalization + Dense(softmax).
  cnn: () => tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization({ epsilon: 0.001 }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, padding: 'same', activation: 'tanh' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, activation: 'tanh' }),
      tf.layers.layerNormalization({ epsilon: 0.001 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  }),
  // The issue's LSTM(32) -> Dense(1); Keras 2's sigmoid recurrent activation (tfjs defaults to hard_sigmoid).
  lstm: () => tf.sequential({
    layers: [
      tf.layers.lstm({ inputShape: [5, 3], units: 32, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 1 }),
    ],
  }),
  // Stacked recurrent layers: the first returns every step's output.
  stacked: () => tf.sequential({
    layers: [
      tf.layers.lstm({ inputShape: [6, 3], units: 8, recurrentActivation: 'sigmoid', returnSequences: true }),
      tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  }),
};

const batches = { cnn: [2, 6, 6, 2], lstm: [3, 5, 3], stacked: [2, 6, 3] };

function concat(weightData) {
  if (!Array.isArray(weightData)) return Buffer.from(weightData);
  return Buffer.concat(weightData.map(b => Buffer.from(b)));
}

async function write(name, outdir) {
  const random = generator(name.length * 7919 + 17);
  const model = models[name]();
  model.setWeights(model.weights.map(w => {
    const count = w.shape.reduce((a, b) => a * b, 1);
    const variance = w.name.endsWith('moving_variance');
    const values = Float32Array.from({ length: count }, () => variance ? 0.5 + random() : random() - 0.5);
    return tf.tensor(values, w.shape);
  }));
  const shape = batches[name];
  const input = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
  const output = model.predict(tf.tensor(input, shape));
  const dir = path.join(outdir, name);
  fs.mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async artifacts => {
    fs.writeFileSync(path.join(dir, 'weights.bin'), concat(artifacts.weightData));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy || null,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify({
    inputShape: shape, input: Array.from(input), outputShape: output.shape, output: Array.from(output.dataSync()),
  }));
}

(async () => {
  for (const name of Object.keys(models)) await write(name, process.argv[2]);
})().catch(e => { console.error(e); process.exit(1); });
