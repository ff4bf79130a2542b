// The camera: a live preview on the page, frames sent to supine's own server as JPEG on a
// WebSocket (at most 10 a second, at most 640 pixels wide, none while the socket is still
// sending the last ones), and the skeleton the server finds drawn over the preview. Frames stay
// in this browser's memory and on the machine running supine; nothing is stored.

const MAX_FPS = 10;
const MAX_WIDTH = 640;
const QUALITY = 0.7;
// Don't queue frames behind a slow connection: the server only wants the newest one.
const MAX_BUFFERED = 128 * 1024;

// The skeleton's lines, as pairs of MediaPipe landmark numbers.
const BONES = [[11, 12], [11, 23], [12, 24], [23, 24], [11, 13], [13, 15], [12, 14], [14, 16],
  [23, 25], [25, 27], [24, 26], [26, 28], [27, 29], [29, 31], [28, 30], [30, 32], [0, 11], [0, 12]];
const SEEN = 0.5;

/** Why a camera cannot be used, in plain words. */
function whyNot(err) {
  const name = err?.name || "";
  if (!navigator.mediaDevices?.getUserMedia) return "this browser gives no camera to pages opened from this address";
  if (name === "NotAllowedError" || name === "SecurityError") return "the camera was not allowed for this page";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "no camera was found";
  if (name === "NotReadableError") return "the camera is in use by another program";
  return String(err?.message || err || "the camera did not start");
}

/** The message for a camera that cannot be used. */
export function cameraProblem(err) {
  return `supine can't use a camera here: ${whyNot(err)}; the session runs on the timer.`;
}

export class Camera {
  constructor() {
    this.video = document.createElement("video");
    this.video.id = "camera-video";
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.setAttribute("aria-hidden", "true");
    this.canvas = document.createElement("canvas");
    this.stream = null;
    this.ws = null;
    this.timer = null;
    this.sending = false;
    this.onEnded = null;
  }

  /** Asks for the camera; throws with the reason when there is none to use. */
  async open() {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error(whyNot(null));
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    this.video.srcObject = this.stream;
    for (const t of this.stream.getVideoTracks()) t.addEventListener("ended", () => this.ended());
    await this.video.play().catch(() => {});
  }

  /** Whether the camera still gives pictures. */
  live() {
    return Boolean(this.stream?.getVideoTracks().some((t) => t.readyState === "live"));
  }

  ended() {
    this.stopSending();
    this.onEnded?.();
  }

  /** Sends frames on `ws` from now on (replacing any socket before). */
  sendTo(ws) {
    this.ws = ws;
    if (this.timer) return;
    this.timer = setInterval(() => this.grab(), 1000 / MAX_FPS);
  }

  stopSending() {
    clearInterval(this.timer);
    this.timer = null;
    this.ws = null;
  }

  grab() {
    const ws = this.ws;
    const v = this.video;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.sending || !this.live()) return;
    if (ws.bufferedAmount > MAX_BUFFERED || !v.videoWidth) return;
    // A video taken out of the page (between screens) is paused by the browser: a paused one
    // would give the same picture again and again.
    if (v.paused) v.play().catch(() => {});
    const scale = Math.min(1, MAX_WIDTH / v.videoWidth);
    const w = Math.round(v.videoWidth * scale);
    const hgt = Math.round(v.videoHeight * scale);
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== hgt) this.canvas.height = hgt;
    this.canvas.getContext("2d").drawImage(v, 0, 0, w, hgt);
    this.sending = true;
    this.canvas.toBlob((blob) => {
      this.sending = false;
      if (blob && ws.readyState === WebSocket.OPEN) ws.send(blob);
    }, "image/jpeg", QUALITY);
  }

  /** Stops the camera itself. */
  close() {
    this.stopSending();
    for (const t of this.stream?.getTracks() || []) t.stop();
    this.stream = null;
  }
}

/** A preview of the camera with the skeleton over it, inside `box`. */
export class Preview {
  constructor(box, camera) {
    this.box = box;
    this.overlay = document.createElement("canvas");
    this.overlay.className = "skeleton";
    this.overlay.id = "skeleton";
    this.overlay.setAttribute("aria-hidden", "true");
    box.classList.add("camera-preview");
    box.replaceChildren(camera.video, this.overlay);
    camera.video.play().catch(() => {});
  }

  /** Draws the landmarks (x, y from 0 to 1, visibility) over the preview; green when `good`. */
  draw(landmarks, good) {
    const c = this.overlay;
    const w = Math.max(1, Math.round(c.clientWidth));
    const hgt = Math.max(1, Math.round(c.clientHeight));
    if (c.width !== w) c.width = w;
    if (c.height !== hgt) c.height = hgt;
    const g = c.getContext("2d");
    g.clearRect(0, 0, w, hgt);
    if (!landmarks?.length) return;
    g.lineWidth = Math.max(2, w / 160);
    g.strokeStyle = good ? "#3fbf6f" : "#f0b429";
    g.fillStyle = g.strokeStyle;
    const at = (i) => [landmarks[i][0] * w, landmarks[i][1] * hgt];
    for (const [a, b] of BONES) {
      if (landmarks[a][2] < SEEN || landmarks[b][2] < SEEN) continue;
      g.beginPath();
      g.moveTo(...at(a));
      g.lineTo(...at(b));
      g.stroke();
    }
    for (const p of landmarks) {
      if (p[2] < SEEN) continue;
      g.beginPath();
      g.arc(p[0] * w, p[1] * hgt, g.lineWidth * 1.2, 0, 2 * Math.PI);
      g.fill();
    }
  }
}
