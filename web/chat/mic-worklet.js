// AudioWorklet processor: takes the microphone at the context's rate, low-passes and decimates it to
// 16 kHz mono, converts to 16-bit little-endian PCM and posts 40 ms frames (1280 bytes) to the page,
// together with the frame's RMS level for the level meter.

const TARGET_RATE = 16000;
const FRAME_SAMPLES = 640; // 40 ms at 16 kHz

class MicCaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / TARGET_RATE; // input samples per output sample
    this.pos = 0; // fractional read position into the pending input, in input samples
    this.acc = 0; // running sum for the box filter
    this.accCount = 0;
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.sumSquares = 0;
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data === "flush") this.flush();
      if (e.data === "stop") {
        this.flush();
        this.running = false;
      }
    };
  }

  emit(sample) {
    const s = Math.max(-1, Math.min(1, sample));
    this.frame[this.filled++] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
    this.sumSquares += s * s;
    if (this.filled === FRAME_SAMPLES) this.flush();
  }

  flush() {
    if (this.filled === 0) return;
    const out = this.frame.slice(0, this.filled);
    const rms = Math.sqrt(this.sumSquares / this.filled);
    this.port.postMessage({ pcm: out.buffer, rms }, [out.buffer]);
    this.filled = 0;
    this.sumSquares = 0;
  }

  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channels = input.length;
    const n = input[0].length;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let c = 0; c < channels; c++) v += input[c][i];
      v /= channels;
      if (this.ratio <= 1) {
        this.emit(v); // context already at (or below) 16 kHz
        continue;
      }
      // Box filter over each output period, then take one sample per period (handles 44.1 kHz too).
      this.acc += v;
      this.accCount++;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.pos -= this.ratio;
        this.emit(this.acc / this.accCount);
        this.acc = 0;
        this.accCount = 0;
      }
    }
    return true;
  }
}

registerProcessor("mic-capture", MicCaptureProcessor);
