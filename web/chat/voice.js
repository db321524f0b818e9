// The microphone and speaker side of WS /ws/voice: captures 16 kHz PCM16 through an AudioWorklet,
// streams it (start JSON, binary frames, stop JSON), reports partial/final/reply messages, plays the
// assistant's PCM16 speech and stops it when the patient starts speaking again (barge-in).

import { wsUrl } from "./socket.js";

const DEFAULT_PLAYBACK_RATE = 24000; // used when the server does not announce a rate
const MAX_QUEUED_BYTES = 16000 * 2 * 10; // 10 s of audio waiting for the socket
const IDLE_CLOSE_MS = 20000;
const BARGE_IN_RMS = 0.08;

export function voiceSupported() {
  return !!(window.AudioWorkletNode && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext);
}

export class VoiceClient {
  /**
   * handlers: onPartial(text), onFinal(text), onDelta(text), onReply(reply), onError(code, message),
   * onState("idle" | "connecting" | "recording" | "speaking"), onLevel(rms)
   * options: getLang(), getSessionId(), setSessionId(id)
   */
  constructor(handlers, options) {
    this.h = handlers;
    this.o = options;
    this.ctx = null;
    this.workletReady = null;
    this.stream = null;
    this.source = null;
    this.node = null;
    this.sink = null;
    this.conn = null; // current {ws, queue, queuedBytes, started, muted, rate, leftover, idleTimer}
    this.sources = new Set();
    this.nextTime = 0;
    this.recording = false;
    this.loudFrames = 0;
  }

  async ensureContext() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      this.ctx = new Ctx({ latencyHint: "interactive" });
      const url = new URL("./mic-worklet.js", import.meta.url);
      this.workletReady = this.ctx.audioWorklet.addModule(url.toString());
    }
    if (this.ctx.state === "suspended") await this.ctx.resume();
    await this.workletReady;
  }

  get isPlaying() {
    return this.sources.size > 0;
  }

  /** Barge-in: stop the assistant's voice now and ignore what is still coming for that utterance. */
  stopPlayback() {
    for (const s of this.sources) {
      try {
        s.stop();
      } catch {
        /* already stopped */
      }
    }
    this.sources.clear();
    this.nextTime = 0;
  }

  async start() {
    if (this.recording) return;
    this.recording = true;
    this.stopPlayback();
    if (this.conn) this.conn.muted = true; // the previous answer's audio is no longer wanted
    this.h.onState("connecting");
    try {
      await this.ensureContext();
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (err) {
      this.recording = false;
      this.h.onState("idle");
      this.h.onError(err && err.name === "NotAllowedError" ? "mic_denied" : "mic_unavailable", String(err && err.message || err));
      return;
    }
    if (!this.recording) {
      // stop() was called while we waited for permission
      this.releaseMic();
      return;
    }
    const conn = this.openSocket();
    this.source = this.ctx.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.ctx, "mic-capture", { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    this.sink = this.ctx.createGain();
    this.sink.gain.value = 0; // keeps the graph pulling without echoing the microphone
    this.source.connect(this.node);
    this.node.connect(this.sink);
    this.sink.connect(this.ctx.destination);
    this.node.port.onmessage = (e) => {
      const { pcm, rms } = e.data || {};
      if (pcm) this.sendAudio(conn, pcm);
      if (typeof rms === "number") this.level(rms);
    };
    this.h.onState("recording");
  }

  level(rms) {
    this.h.onLevel && this.h.onLevel(rms);
    // Local barge-in: sustained loud input while the assistant speaks.
    if (this.isPlaying && rms > BARGE_IN_RMS) {
      this.loudFrames += 1;
      if (this.loudFrames >= 3) this.stopPlayback();
    } else this.loudFrames = 0;
  }

  openSocket() {
    const ws = new WebSocket(wsUrl("ws/voice"));
    ws.binaryType = "arraybuffer";
    const conn = { ws, queue: [], queuedBytes: 0, started: false, muted: false, rate: DEFAULT_PLAYBACK_RATE, leftover: null, idleTimer: null };
    this.conn = conn;
    ws.onopen = () => {
      const start = { type: "start", sample_rate: 16000, encoding: "pcm_s16le", lang: this.o.getLang(), tts: true };
      const sid = this.o.getSessionId();
      if (sid) start.session_id = sid;
      ws.send(JSON.stringify(start));
      conn.started = true;
      for (const buf of conn.queue.splice(0)) ws.send(buf);
      conn.queuedBytes = 0;
      if (conn.stopPending) ws.send(JSON.stringify({ type: "stop" }));
    };
    ws.onmessage = (ev) => {
      this.touch(conn);
      if (typeof ev.data === "string") this.onJson(conn, ev.data);
      else this.onAudio(conn, ev.data);
    };
    ws.onclose = () => {
      clearTimeout(conn.idleTimer);
      if (this.conn === conn && this.recording) this.stop();
      if (this.conn === conn) this.conn = null;
    };
    ws.onerror = () => {
      if (!conn.started) this.h.onError("voice_unavailable", "voice socket failed");
    };
    return conn;
  }

  touch(conn) {
    clearTimeout(conn.idleTimer);
    if (!(this.recording && this.conn === conn)) {
      conn.idleTimer = setTimeout(() => conn.ws.close(), IDLE_CLOSE_MS);
    }
  }

  sendAudio(conn, pcm) {
    if (conn.ws.readyState === WebSocket.OPEN && conn.started) conn.ws.send(pcm);
    else if (conn.ws.readyState === WebSocket.CONNECTING && conn.queuedBytes < MAX_QUEUED_BYTES) {
      conn.queue.push(pcm);
      conn.queuedBytes += pcm.byteLength;
    }
  }

  onJson(conn, raw) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    switch (msg.type) {
      case "audio_format":
      case "speech_start": // the voice router announces the rate of the PCM16 frames that follow
        if (Number(msg.sample_rate) > 0) conn.rate = Number(msg.sample_rate);
        conn.leftover = null;
        break;
      case "partial":
        if (this.isPlaying) this.stopPlayback(); // the patient is talking over the assistant
        this.h.onPartial(msg.text || "");
        break;
      case "final":
        this.h.onFinal(msg.text || "");
        break;
      case "delta":
        this.h.onDelta(msg.text || "");
        break;
      case "reply":
        if (msg.session_id) this.o.setSessionId(msg.session_id);
        this.h.onReply(msg);
        break;
      case "barge_in":
      case "clear":
        this.stopPlayback();
        break;
      case "error":
        this.h.onError(msg.error?.code || "error", msg.error?.message || "");
        break;
      default:
        break;
    }
  }

  onAudio(conn, data) {
    if (conn.muted || !this.ctx) return;
    let bytes = new Uint8Array(data);
    if (conn.leftover) {
      const joined = new Uint8Array(conn.leftover.length + bytes.length);
      joined.set(conn.leftover);
      joined.set(bytes, conn.leftover.length);
      bytes = joined;
      conn.leftover = null;
    }
    if (bytes.length % 2) {
      conn.leftover = bytes.slice(bytes.length - 1);
      bytes = bytes.slice(0, bytes.length - 1);
    }
    const n = bytes.length / 2;
    if (!n) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const buffer = this.ctx.createBuffer(1, n, conn.rate);
    const ch = buffer.getChannelData(0);
    for (let i = 0; i < n; i++) ch[i] = view.getInt16(i * 2, true) / 32768;
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.ctx.destination);
    const at = Math.max(this.ctx.currentTime + 0.03, this.nextTime);
    src.start(at);
    this.nextTime = at + buffer.duration;
    this.sources.add(src);
    this.h.onState(this.recording ? "recording" : "speaking");
    src.onended = () => {
      this.sources.delete(src);
      if (!this.sources.size && !this.recording) this.h.onState("idle");
    };
  }

  releaseMic() {
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    try {
      this.source && this.source.disconnect();
      this.node && this.node.disconnect();
      this.sink && this.sink.disconnect();
    } catch {
      /* already disconnected */
    }
    this.source = this.node = this.sink = null;
  }

  /** End the utterance: flush the last samples, then send {"type":"stop"}; keep listening for the answer. */
  stop() {
    if (!this.recording) return;
    this.recording = false;
    const conn = this.conn;
    const node = this.node;
    const finish = () => {
      this.releaseMic();
      if (conn) {
        if (conn.ws.readyState === WebSocket.OPEN && conn.started) conn.ws.send(JSON.stringify({ type: "stop" }));
        else conn.stopPending = true;
        this.touch(conn);
      }
      this.h.onState(this.isPlaying ? "speaking" : "idle");
    };
    if (node) {
      node.port.postMessage("stop");
      setTimeout(finish, 60); // lets the worklet's last frame arrive first
    } else finish();
  }
}
