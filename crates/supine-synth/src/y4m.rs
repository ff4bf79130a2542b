//! YUV4MPEG2 (`.y4m`) video: a text header, then `FRAME` and raw planes per frame. Trivial to
//! write and read, and ffmpeg reads and writes it (`ffmpeg -i clip.y4m clip.mp4`,
//! `ffmpeg -i any.mp4 -f yuv4mpegpipe -pix_fmt yuv420p -`).
//!
//! The writer emits 4:2:0 with full-range BT.601 ("C420jpeg"); the reader takes 4:2:0 (any
//! chroma siting), 4:2:2, 4:4:4 and mono, 8 bits, and gives RGB frames.

use image::{Rgb, RgbImage};
use std::io::{self, BufRead, Read, Write};

/// What went wrong reading a y4m stream. Frame numbers count from 1.
#[derive(Debug, thiserror::Error)]
pub enum Y4mError {
    /// Reading the header failed.
    #[error("reading the video's header: {0}")]
    Io(#[from] io::Error),
    /// The stream does not start with a YUV4MPEG2 header.
    #[error("not a y4m video (no YUV4MPEG2 header)")]
    NotY4m,
    /// The header line has no line break within [`MAX_HEADER_LINE`] bytes.
    #[error(
        "the y4m header has no line break in its first {0} bytes: the file is damaged or not a y4m video"
    )]
    HeaderLine(u64),
    /// The stream ends inside the header.
    #[error("the y4m header is cut short: the file ends before its first line does")]
    HeaderCut,
    /// A header field is garbled.
    #[error("bad y4m header field {field:?}: {why}")]
    Header {
        /// The field as written (at most 40 characters of it).
        field: String,
        /// What it should be.
        why: &'static str,
    },
    /// The header gives no width or no height.
    #[error("the y4m header lacks the frame size (its W and H fields)")]
    MissingSize,
    /// The frame size is zero or above the limit.
    #[error(
        "the video's frames are {width}x{height} pixels; supine reads frames from 1x1 to \
         {max}x{max}: scale the video down first (e.g. `ffmpeg -i VIDEO -vf scale=1280:-2 \
         -pix_fmt yuv420p SMALLER.y4m`)"
    )]
    Size {
        /// Width claimed by the header.
        width: u32,
        /// Height claimed by the header.
        height: u32,
        /// The largest side read.
        max: u32,
    },
    /// A colour space this reader does not take.
    #[error("unsupported y4m colour space {0:?} (8-bit 420, 422, 444 or mono only)")]
    Colour(String),
    /// The stream ends inside a frame.
    #[error("frame {frame} is cut short ({got} of its {expected} bytes): the video ends there")]
    CutShort {
        /// The frame (from 1).
        frame: usize,
        /// Bytes of its planes found.
        got: usize,
        /// Bytes its planes take.
        expected: usize,
    },
    /// A frame lacks its `FRAME` marker: the stream is damaged there.
    #[error(
        "frame {frame} lacks its FRAME marker: the video is damaged there ({lost} frame(s) lost \
         before the next marker)"
    )]
    NoMarker {
        /// The first damaged frame (from 1).
        frame: usize,
        /// How many frames the damage covers (estimated from its bytes).
        lost: usize,
    },
    /// Reading a frame failed; the reader stops there.
    #[error("reading frame {frame}: {source}")]
    FrameIo {
        /// The frame (from 1).
        frame: usize,
        /// The error.
        source: io::Error,
    },
}

/// What the W and H fields hold.
const SIDE: &str = "W and H are whole numbers of pixels, like W640 H480";
/// What the F field holds.
const RATE: &str = "F is the frame rate as two whole numbers, like F30:1 or F30000:1001";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chroma {
    C420,
    C422,
    C444,
    Mono,
}

/// Writes RGB frames as a 4:2:0 y4m stream.
pub struct Y4mWriter<W: Write> {
    out: W,
    width: u32,
    height: u32,
}

fn yuv(p: &Rgb<u8>) -> (f32, f32, f32) {
    let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
    (
        0.299 * r + 0.587 * g + 0.114 * b,
        128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b,
        128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b,
    )
}

fn clamp8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

impl<W: Write> Y4mWriter<W> {
    /// Writes the header for `width` x `height` (even sizes) at `fps_num/fps_den` frames/s.
    pub fn new(
        mut out: W,
        width: u32,
        height: u32,
        fps_num: u32,
        fps_den: u32,
    ) -> io::Result<Self> {
        writeln!(
            out,
            "YUV4MPEG2 W{width} H{height} F{fps_num}:{fps_den} Ip A1:1 C420jpeg XYSCSS=420JPEG"
        )?;
        Ok(Y4mWriter { out, width, height })
    }

    /// Appends one frame (must be the header's size).
    pub fn write(&mut self, img: &RgbImage) -> io::Result<()> {
        assert_eq!((img.width(), img.height()), (self.width, self.height));
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let mut y = vec![0u8; w * h];
        let mut u = vec![0f32; cw * ch];
        let mut v = vec![0f32; cw * ch];
        let mut n = vec![0f32; cw * ch];
        for (x, yy, p) in img.enumerate_pixels() {
            let (l, cb, cr) = yuv(p);
            y[yy as usize * w + x as usize] = clamp8(l);
            let c = (yy as usize / 2) * cw + x as usize / 2;
            u[c] += cb;
            v[c] += cr;
            n[c] += 1.0;
        }
        self.out.write_all(b"FRAME\n")?;
        self.out.write_all(&y)?;
        let avg = |p: &[f32]| -> Vec<u8> { p.iter().zip(&n).map(|(s, k)| clamp8(s / k)).collect() };
        self.out.write_all(&avg(&u))?;
        self.out.write_all(&avg(&v))?;
        Ok(())
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The longest header line read, in bytes: real headers are under 100 bytes; a stream without a
/// line break near its start is not a y4m video.
pub const MAX_HEADER_LINE: u64 = 4096;
/// The longest `FRAME` line (marker and its parameters) read, in bytes.
const MAX_MARKER_LINE: u64 = 1024;
const MARKER: &[u8; 5] = b"FRAME";

/// Reads a y4m stream frame by frame.
///
/// Sizes are checked against a limit before anything is allocated, and a frame's bytes are only
/// held as they arrive, so a header that claims more than the stream holds costs nothing. A
/// damaged frame is an error for that frame only: after a frame cut short the stream ends, and
/// after a missing `FRAME` marker the reader finds the next one and carries on
/// ([`Y4mReader::position`] says which frame comes next).
pub struct Y4mReader<R: BufRead> {
    input: R,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    chroma: Chroma,
    /// Bytes of one frame's planes.
    payload: usize,
    /// Index of the next frame (0-based), counting damaged and lost frames.
    position: usize,
    /// A marker was found while resynchronising: the next frame's planes come straight away.
    marker_read: bool,
    /// Reading failed: the stream is given up.
    failed: bool,
    /// The last frame's bytes (reused).
    buf: Vec<u8>,
}

impl<R: BufRead> Y4mReader<R> {
    /// Reads and checks the header; frames wider or taller than `max_side` pixels are refused
    /// before anything is allocated for them.
    pub fn new(mut input: R, max_side: u32) -> Result<Self, Y4mError> {
        let mut line = Vec::new();
        (&mut input)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if !line.starts_with(b"YUV4MPEG2") {
            return Err(Y4mError::NotY4m);
        }
        if line.last() != Some(&b'\n') {
            return Err(if line.len() as u64 >= MAX_HEADER_LINE {
                Y4mError::HeaderLine(MAX_HEADER_LINE)
            } else {
                Y4mError::HeaderCut
            });
        }
        let text = String::from_utf8_lossy(&line);
        let mut fields = text.trim_end().split(' ');
        if fields.next() != Some("YUV4MPEG2") {
            return Err(Y4mError::NotY4m);
        }
        let bad = |f: &str, why: &'static str| Y4mError::Header {
            field: f.chars().take(40).collect(),
            why,
        };
        let (mut width, mut height, mut fps, mut chroma) = (None, None, 30.0f64, Chroma::C420);
        for f in fields {
            let Some(k) = f.chars().next() else {
                continue;
            };
            let v = &f[k.len_utf8()..];
            match k {
                'W' => width = Some(v.parse::<u32>().map_err(|_| bad(f, SIDE))?),
                'H' => height = Some(v.parse::<u32>().map_err(|_| bad(f, SIDE))?),
                'F' => {
                    let (a, b) = v
                        .split_once(':')
                        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
                        .ok_or_else(|| bad(f, RATE))?;
                    // 0:0 means "unknown" to some writers: keep the default.
                    if a > 0 && b > 0 {
                        fps = f64::from(a) / f64::from(b);
                    }
                }
                'C' => {
                    chroma = match v {
                        "420" | "420jpeg" | "420mpeg2" | "420paldv" => Chroma::C420,
                        "422" => Chroma::C422,
                        "444" => Chroma::C444,
                        "mono" => Chroma::Mono,
                        other => return Err(Y4mError::Colour(other.chars().take(40).collect())),
                    }
                }
                _ => {}
            }
        }
        let (Some(width), Some(height)) = (width, height) else {
            return Err(Y4mError::MissingSize);
        };
        if width == 0 || height == 0 || width > max_side || height > max_side {
            return Err(Y4mError::Size {
                width,
                height,
                max: max_side,
            });
        }
        let payload = payload_bytes(width, height, chroma).ok_or(Y4mError::Size {
            width,
            height,
            max: max_side,
        })?;
        Ok(Y4mReader {
            input,
            width,
            height,
            fps,
            chroma,
            payload,
            position: 0,
            marker_read: false,
            failed: false,
            buf: Vec::new(),
        })
    }

    /// Index (0-based) of the frame the next call reads: frames read, skipped, damaged and lost
    /// so far. Its time is `position() / fps`.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Bytes one frame takes in the stream with a bare `FRAME` marker (for estimating how many
    /// frames a file holds).
    pub fn frame_bytes(&self) -> usize {
        self.payload + MARKER.len() + 1
    }

    fn chroma_size(&self) -> (usize, usize) {
        chroma_size(self.width, self.height, self.chroma)
    }

    /// Reads the next frame's marker. `Ok(false)` at the end of the stream. A missing marker
    /// finds the next one, counts the frames in between as lost and reports the damage.
    fn read_marker(&mut self) -> Result<bool, Y4mError> {
        if self.failed {
            return Ok(false);
        }
        if std::mem::take(&mut self.marker_read) {
            return Ok(true);
        }
        let frame = self.position + 1;
        let mut head = [0u8; MARKER.len()];
        let got = read_up_to(&mut self.input, &mut head)
            .map_err(|source| Y4mError::FrameIo { frame, source })?;
        if got == 0 {
            return Ok(false);
        }
        if got == head.len() && &head == MARKER {
            return self.finish_marker_line(frame).map(|()| true);
        }
        if got < head.len() && MARKER.starts_with(&head[..got]) {
            self.position += 1;
            return Err(Y4mError::CutShort {
                frame,
                got: 0,
                expected: self.payload,
            });
        }
        // Damaged: look for the next marker, starting inside the bytes already read (which
        // cannot hold a whole one: they are not the marker).
        let matched = head[..got].iter().fold(0, |m, &b| step_match(m, b));
        let (found, more) = scan_for_marker(&mut self.input, matched)
            .map_err(|source| Y4mError::FrameIo { frame, source })?;
        let skipped = got as u64 + more;
        let per_frame = self.frame_bytes() as u64;
        let lost = ((skipped + per_frame / 2) / per_frame).max(1) as usize;
        self.position += lost;
        if found {
            self.finish_marker_line(frame + lost)?;
            self.marker_read = true;
        }
        Err(Y4mError::NoMarker { frame, lost })
    }

    /// Consumes the rest of a `FRAME` line (its optional parameters and the line break).
    fn finish_marker_line(&mut self, frame: usize) -> Result<(), Y4mError> {
        match skip_line(&mut self.input, MAX_MARKER_LINE)
            .map_err(|source| Y4mError::FrameIo { frame, source })?
        {
            LineEnd::Found => Ok(()),
            LineEnd::Eof => {
                self.position += 1;
                Err(Y4mError::CutShort {
                    frame,
                    got: 0,
                    expected: self.payload,
                })
            }
            LineEnd::TooLong => {
                self.position += 1;
                Err(Y4mError::NoMarker { frame, lost: 1 })
            }
        }
    }

    /// Reads the next frame's planes into `self.buf`; `false` at the end. The buffer grows only
    /// as bytes arrive, so a frame cut short costs only what it holds.
    fn read_payload(&mut self) -> Result<bool, Y4mError> {
        let r = self.read_payload_inner();
        self.note_failure(r)
    }

    /// Gives the stream up after a read error, so that callers going on past damaged frames
    /// come to an end.
    fn note_failure(&mut self, r: Result<bool, Y4mError>) -> Result<bool, Y4mError> {
        if let Err(Y4mError::FrameIo { .. }) = r {
            self.failed = true;
        }
        r
    }

    fn read_payload_inner(&mut self) -> Result<bool, Y4mError> {
        if !self.read_marker()? {
            return Ok(false);
        }
        let frame = self.position + 1;
        self.position += 1;
        self.buf.clear();
        let got = (&mut self.input)
            .take(self.payload as u64)
            .read_to_end(&mut self.buf)
            .map_err(|source| Y4mError::FrameIo { frame, source })?;
        if got < self.payload {
            return Err(Y4mError::CutShort {
                frame,
                got,
                expected: self.payload,
            });
        }
        Ok(true)
    }

    /// Passes over the next frame without converting or keeping it; `false` at the end of the
    /// stream.
    pub fn skip_frame(&mut self) -> Result<bool, Y4mError> {
        let r = self.skip_frame_inner();
        self.note_failure(r)
    }

    fn skip_frame_inner(&mut self) -> Result<bool, Y4mError> {
        if !self.read_marker()? {
            return Ok(false);
        }
        let frame = self.position + 1;
        self.position += 1;
        let got = io::copy(
            &mut (&mut self.input).take(self.payload as u64),
            &mut io::sink(),
        )
        .map_err(|source| Y4mError::FrameIo { frame, source })?;
        if got < self.payload as u64 {
            return Err(Y4mError::CutShort {
                frame,
                got: got as usize,
                expected: self.payload,
            });
        }
        Ok(true)
    }

    /// The next frame, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<RgbImage>, Y4mError> {
        let mut img = RgbImage::new(0, 0);
        Ok(self.next_frame_into(&mut img)?.then_some(img))
    }

    /// Reads the next frame into `img` (resized to the frame's size, its buffer reused when it
    /// is already that size); `false` at the end of the stream.
    pub fn next_frame_into(&mut self, img: &mut RgbImage) -> Result<bool, Y4mError> {
        if !self.read_payload()? {
            return Ok(false);
        }
        if img.dimensions() != (self.width, self.height) {
            // Checked in `new`: the frame's planes fit in memory, so three bytes a pixel do too.
            *img = RgbImage::new(self.width, self.height);
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = self.chroma_size();
        let (y, c) = self.buf.split_at(w * h);
        let (u, v) = c.split_at(cw * ch);
        // BT.601 full range in 16.16 fixed point.
        let to8 = |v: i32| v.clamp(0, 255) as u8;
        for (yy, out) in img.chunks_exact_mut(w * 3).enumerate() {
            let row = &y[yy * w..(yy + 1) * w];
            let cy = yy * ch / h;
            for (x, (px, &l)) in out.chunks_exact_mut(3).zip(row).enumerate() {
                let l = l as i32;
                let (cb, cr) = if cw == 0 {
                    (0, 0)
                } else {
                    let k = cy * cw + x * cw / w;
                    (u[k] as i32 - 128, v[k] as i32 - 128)
                };
                px[0] = to8(l + ((91_881 * cr + 32_768) >> 16));
                px[1] = to8(l + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16));
                px[2] = to8(l + ((116_130 * cb + 32_768) >> 16));
            }
        }
        Ok(true)
    }
}

fn chroma_size(width: u32, height: u32, chroma: Chroma) -> (usize, usize) {
    let (w, h) = (width as usize, height as usize);
    match chroma {
        Chroma::C420 => (w.div_ceil(2), h.div_ceil(2)),
        Chroma::C422 => (w.div_ceil(2), h),
        Chroma::C444 => (w, h),
        Chroma::Mono => (0, 0),
    }
}

/// Bytes of one frame's planes, and of its RGB picture, or `None` when either overflows.
fn payload_bytes(width: u32, height: u32, chroma: Chroma) -> Option<usize> {
    let (w, h) = (usize::try_from(width).ok()?, usize::try_from(height).ok()?);
    let (cw, ch) = chroma_size(width, height, chroma);
    w.checked_mul(h)?.checked_mul(3)?;
    w.checked_mul(h)?
        .checked_add(cw.checked_mul(ch)?.checked_mul(2)?)
}

enum LineEnd {
    Found,
    Eof,
    TooLong,
}

/// Consumes the stream up to and including the next line break, at most `max` bytes of it.
fn skip_line(input: &mut impl BufRead, max: u64) -> io::Result<LineEnd> {
    let mut seen = 0u64;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(LineEnd::Eof);
        }
        let room = usize::try_from(max - seen)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if let Some(i) = buf[..room].iter().position(|&b| b == b'\n') {
            input.consume(i + 1);
            return Ok(LineEnd::Found);
        }
        input.consume(room);
        seen += room as u64;
        if seen >= max {
            return Ok(LineEnd::TooLong);
        }
    }
}

/// Reads into `buf` until it is full or the stream ends; how many bytes were read.
fn read_up_to(input: &mut impl io::Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// How much of [`MARKER`] is matched after `b`, given `matched` bytes before it. No letter of
/// the marker recurs in it, so a mismatch only restarts at its first letter.
fn step_match(matched: usize, b: u8) -> usize {
    if b == MARKER[matched] {
        matched + 1
    } else if b == MARKER[0] {
        1
    } else {
        0
    }
}

/// Consumes the stream up to and including the next [`MARKER`] (`matched` bytes of it already
/// seen); whether one was found, and how many bytes were consumed.
fn scan_for_marker(input: &mut impl BufRead, mut matched: usize) -> io::Result<(bool, u64)> {
    let mut consumed = 0u64;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((false, consumed));
        }
        let mut used = 0;
        let mut found = false;
        for &b in buf {
            used += 1;
            matched = step_match(matched, b);
            if matched == MARKER.len() {
                found = true;
                break;
            }
        }
        input.consume(used);
        consumed += used as u64;
        if found {
            return Ok((true, consumed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The frame-size limit these tests read with (supine's own is larger).
    const MAX: u32 = 64;

    /// A 4:2:0 stream of `n` frames of `w` x `h`, each a flat grey of its own.
    fn stream(w: u32, h: u32, n: u8) -> Vec<u8> {
        let mut out = Y4mWriter::new(Vec::new(), w, h, 10, 1).unwrap();
        for k in 0..n {
            out.write(&RgbImage::from_pixel(w, h, Rgb([k * 20, k * 20, k * 20])))
                .unwrap();
        }
        out.finish().unwrap()
    }

    /// Reads every frame it can, going on past damaged ones as `supine analyze` does: the frame
    /// numbers read and the errors, in order.
    fn read_all(bytes: &[u8]) -> Result<(Vec<usize>, Vec<Y4mError>, usize), Y4mError> {
        let mut r = Y4mReader::new(bytes, MAX)?;
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        let mut img = RgbImage::new(0, 0);
        // Every call consumes bytes or ends the stream; the bound only guards the test.
        for _ in 0..=bytes.len() {
            let frame = r.position() + 1;
            match r.next_frame_into(&mut img) {
                Ok(true) => good.push(frame),
                Ok(false) => return Ok((good, bad, r.buf.capacity())),
                Err(e) => bad.push(e),
            }
        }
        panic!("the reader did not come to an end");
    }

    #[test]
    fn round_trip_keeps_colours_close() {
        let mut img = RgbImage::new(6, 4);
        for (x, y, p) in img.enumerate_pixels_mut() {
            // Flat 2x2 blocks so chroma subsampling loses nothing.
            let (bx, by) = (x / 2, y / 2);
            *p = Rgb([(bx * 100) as u8, (by * 200) as u8, 90]);
        }
        let mut w = Y4mWriter::new(Vec::new(), 6, 4, 30, 1).unwrap();
        w.write(&img).unwrap();
        w.write(&img).unwrap();
        let bytes = w.finish().unwrap();
        let mut r = Y4mReader::new(&bytes[..], MAX).unwrap();
        assert_eq!((r.width, r.height, r.fps), (6, 4, 30.0));
        for _ in 0..2 {
            let got = r.next_frame().unwrap().unwrap();
            for (a, b) in got.pixels().zip(img.pixels()) {
                for k in 0..3 {
                    assert!((a[k] as i32 - b[k] as i32).abs() <= 2, "{a:?} vs {b:?}");
                }
            }
        }
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn garbage_is_refused_with_what_was_wrong() {
        let err = |b: &[u8]| Y4mReader::new(b, MAX).err().expect("refused").to_string();
        assert!(err(b"RIFF....").contains("not a y4m video"));
        assert!(err(b"YUV4MPEG2 W4 H4 F30:1 C420p10\n").contains("\"420p10\""));
        assert!(err(b"YUV4MPEG2 W4 H-3\n").contains("\"H-3\""));
        assert!(err(b"YUV4MPEG2 W4 H4 Fx\n").contains("\"Fx\""));
        assert!(err(b"YUV4MPEG2 W4\n").contains("lacks the frame size"));
        assert!(err(b"YUV4MPEG2 W4 H4").contains("cut short"));
        let mut long = b"YUV4MPEG2 W4 H4 X".to_vec();
        long.resize(10_000, b'x');
        assert!(err(&long).contains("no line break in its first 4096 bytes"));
    }

    #[test]
    fn frame_sizes_above_the_limit_are_refused_before_any_allocation() {
        // Issue 11: these headers made the reader allocate 15 GB, or overflow its arithmetic.
        for (w, h) in [
            (100_000u32, 100_000u32),
            (u32::MAX, u32::MAX),
            (65, 2),
            (0, 4),
        ] {
            let bytes = format!("YUV4MPEG2 W{w} H{h} F30:1 C444\nFRAME\n");
            let e = Y4mReader::new(bytes.as_bytes(), MAX)
                .err()
                .expect("refused");
            assert!(matches!(e, Y4mError::Size { .. }), "{e}");
            assert!(e.to_string().contains(&format!("{w}x{h}")), "{e}");
            assert!(e.to_string().contains("64x64"), "{e}");
        }
        // At the limit, a header claiming a frame the stream does not hold costs only its bytes.
        let (good, bad, held) = read_all(b"YUV4MPEG2 W64 H64 C444\nFRAME\n0123").unwrap();
        assert!(good.is_empty());
        assert!(matches!(
            bad[..],
            [Y4mError::CutShort {
                frame: 1,
                got: 4,
                expected: 12_288
            }]
        ));
        assert!(held < 1024, "{held} bytes held for a 4-byte frame");
    }

    #[test]
    fn a_frame_cut_short_is_numbered_from_one_and_ends_the_stream() {
        let mut bytes = stream(4, 4, 6);
        bytes.truncate(bytes.len() - 5);
        let (good, bad, _) = read_all(&bytes).unwrap();
        assert_eq!(good, [1, 2, 3, 4, 5]);
        assert_eq!(bad.len(), 1);
        assert_eq!(
            bad[0].to_string(),
            "frame 6 is cut short (19 of its 24 bytes): the video ends there"
        );
        // Skipping over frames finds the same damage.
        let mut r = Y4mReader::new(&bytes[..], MAX).unwrap();
        for _ in 0..5 {
            assert!(r.skip_frame().unwrap());
        }
        assert!(matches!(
            r.skip_frame(),
            Err(Y4mError::CutShort { frame: 6, .. })
        ));
        assert!(!r.skip_frame().unwrap());
    }

    #[test]
    fn a_lost_marker_costs_its_frames_and_reading_goes_on() {
        let bytes = stream(4, 4, 6);
        let per = 6 + 24;
        let header = bytes.len() - 6 * per;
        // Frame 3's marker damaged: frames 1, 2, 4, 5, 6 read, at their own positions.
        let mut damaged = bytes.clone();
        damaged[header + 2 * per] = b'X';
        let (good, bad, _) = read_all(&damaged).unwrap();
        assert_eq!(good, [1, 2, 4, 5, 6]);
        assert!(
            matches!(bad[..], [Y4mError::NoMarker { frame: 3, lost: 1 }]),
            "{bad:?}"
        );
        // Most of frame 2 and all of frame 3 dropped from the file: frame 2 reads on into frame
        // 4 (nothing in its bytes can tell), then the rest of frame 4 is counted as one frame
        // lost, and frames 5 and 6 come a frame early. Nothing panics and nothing is invented.
        let mut cut = bytes[..header + per + 10].to_vec();
        cut.extend_from_slice(&bytes[header + 3 * per..]);
        let (good, bad, _) = read_all(&cut).unwrap();
        assert_eq!(good, [1, 2, 4, 5]);
        assert!(
            matches!(bad[..], [Y4mError::NoMarker { frame: 3, lost: 1 }]),
            "{bad:?}"
        );
        // Marker parameters are allowed.
        let mut with_params = bytes[..header].to_vec();
        for f in bytes[header..].chunks(per) {
            with_params.extend_from_slice(b"FRAME Ixyz\n");
            with_params.extend_from_slice(&f[6..]);
        }
        let (good, bad, _) = read_all(&with_params).unwrap();
        assert_eq!((good.len(), bad.len()), (6, 0));
    }

    /// Every error says what is wrong in a lowercase sentence; frame errors name their frame.
    fn check_error(e: &Y4mError) {
        let msg = e.to_string();
        assert!(!msg.is_empty() && msg.len() < 400, "{msg}");
        assert!(!msg.starts_with(char::is_uppercase), "{msg}");
        if let Y4mError::CutShort { frame, .. }
        | Y4mError::NoMarker { frame, .. }
        | Y4mError::FrameIo { frame, .. } = e
        {
            assert!(*frame >= 1);
            assert!(msg.contains(&format!("frame {frame}")), "{msg}");
        }
    }

    /// A header made of y4m-like fields with arbitrary values.
    fn header() -> impl Strategy<Value = String> {
        let field = prop_oneof![
            any::<u64>().prop_map(|v| format!("W{v}")),
            any::<u64>().prop_map(|v| format!("H{v}")),
            (0u32..100).prop_map(|v| format!("W{v}")),
            (0u32..100).prop_map(|v| format!("H{v}")),
            (any::<u32>(), any::<u32>()).prop_map(|(a, b)| format!("F{a}:{b}")),
            prop::sample::select(vec![
                "C420", "C422", "C444", "Cmono", "C420p10", "Ip", "A1:1"
            ])
            .prop_map(String::from),
            "[ -~]{0,12}",
        ];
        prop::collection::vec(field, 0..8).prop_map(|f| format!("YUV4MPEG2 {}\n", f.join(" ")))
    }

    /// A mutation of a valid stream.
    #[derive(Debug, Clone)]
    enum Mutation {
        Flip(usize, u8),
        Cut(usize),
        Drop(usize, usize),
        Insert(usize, Vec<u8>),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
            any::<usize>().prop_map(Mutation::Cut),
            (any::<usize>(), 0usize..80).prop_map(|(i, n)| Mutation::Drop(i, n)),
            (any::<usize>(), prop::collection::vec(any::<u8>(), 0..80))
                .prop_map(|(i, b)| Mutation::Insert(i, b)),
        ]
    }

    fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
        let n = bytes.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if let Some(x) = bytes.get_mut(i % n) {
                    *x ^= b;
                }
            }
            Mutation::Cut(i) => bytes.truncate(i % n),
            Mutation::Drop(i, k) => {
                let at = (i % n).min(bytes.len());
                let end = (at + k).min(bytes.len());
                bytes.drain(at..end);
            }
            Mutation::Insert(i, b) => {
                let at = (i % n).min(bytes.len());
                bytes.splice(at..at, b.iter().copied());
            }
        }
    }

    /// What reading `bytes` may hold at most: the limit's frame, or what the input holds.
    fn bounded(held: usize, bytes: &[u8]) {
        let most = (MAX as usize * MAX as usize * 3).min(2 * bytes.len() + 64);
        assert!(
            held <= most,
            "{held} bytes held for {} bytes of input",
            bytes.len()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_bytes_are_read_or_refused_without_panicking(
            bytes in prop::collection::vec(any::<u8>(), 0..600),
            prefix in any::<bool>(),
        ) {
            let mut input = if prefix { b"YUV4MPEG2 W8 H8\n".to_vec() } else { Vec::new() };
            input.extend_from_slice(&bytes);
            match read_all(&input) {
                Ok((_, errors, held)) => {
                    errors.iter().for_each(check_error);
                    bounded(held, &input);
                }
                Err(e) => check_error(&e),
            }
        }

        #[test]
        fn any_header_is_read_or_refused_within_the_limit(
            head in header(),
            body in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut input = head.into_bytes();
            input.extend_from_slice(b"FRAME\n");
            input.extend_from_slice(&body);
            match read_all(&input) {
                Ok((_, errors, held)) => {
                    errors.iter().for_each(check_error);
                    bounded(held, &input);
                }
                Err(e) => check_error(&e),
            }
        }

        #[test]
        fn damaged_streams_lose_only_the_damaged_frames(
            muts in prop::collection::vec(mutation(), 1..4),
            (w, h) in (1u32..12, 1u32..12),
        ) {
            let clean = stream(w, h, 8);
            let mut bytes = clean.clone();
            for m in &muts {
                apply(&mut bytes, m);
            }
            match read_all(&bytes) {
                Ok((good, errors, held)) => {
                    errors.iter().for_each(check_error);
                    bounded(held, &bytes);
                    // Frame numbers only go up, and only so far as the bytes reach.
                    prop_assert!(good.windows(2).all(|p| p[0] < p[1]), "{good:?}");
                    let per = (w * h) as usize * 3 / 2 + 6;
                    prop_assert!(good.len() * per <= bytes.len() + per);
                    // One damaged place past the header costs at most the frames it touches
                    // and the two around it.
                    let header = clean.len() - 8 * per;
                    let touched = match &muts[..] {
                        [Mutation::Flip(i, _)] if i % clean.len() >= header => Some(1),
                        [Mutation::Drop(i, k)] if i % clean.len() >= header => Some(*k),
                        [Mutation::Insert(i, b)] if i % clean.len() >= header => Some(b.len()),
                        _ => None,
                    };
                    if let Some(k) = touched {
                        prop_assert!(good.len() + k / per + 3 >= 8, "{good:?} {errors:?}");
                    }
                }
                Err(e) => check_error(&e),
            }
        }
    }
}
