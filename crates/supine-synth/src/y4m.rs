//! YUV4MPEG2 (`.y4m`) video: a text header, then `FRAME` and raw planes per frame. Trivial to
//! write and read, and ffmpeg reads and writes it (`ffmpeg -i clip.y4m clip.mp4`,
//! `ffmpeg -i any.mp4 -f yuv4mpegpipe -pix_fmt yuv420p -`).
//!
//! The writer emits 4:2:0 with full-range BT.601 ("C420jpeg"); the reader takes 4:2:0 (any
//! chroma siting), 4:2:2, 4:4:4 and mono, 8 bits, and gives RGB frames.

use image::{Rgb, RgbImage};
use std::io::{self, BufRead, Write};

/// What went wrong reading a y4m stream.
#[derive(Debug, thiserror::Error)]
pub enum Y4mError {
    /// Reading failed.
    #[error("reading the video: {0}")]
    Io(#[from] io::Error),
    /// The stream does not start with a YUV4MPEG2 header.
    #[error("not a y4m video (no YUV4MPEG2 header)")]
    NotY4m,
    /// The header lacks or garbles a field.
    #[error("bad y4m header: {0}")]
    Header(String),
    /// A colour space this reader does not take.
    #[error("unsupported y4m colour space {0} (8-bit 420, 422, 444 or mono only)")]
    Colour(String),
    /// A frame ended early or lacked its marker.
    #[error("frame {0} is cut short or lacks its FRAME marker")]
    Frame(usize),
}

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

/// Reads a y4m stream frame by frame.
pub struct Y4mReader<R: BufRead> {
    input: R,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    chroma: Chroma,
    frames: usize,
    /// The last frame's bytes (reused).
    buf: Vec<u8>,
}

impl<R: BufRead> Y4mReader<R> {
    /// Reads and checks the header.
    pub fn new(mut input: R) -> Result<Self, Y4mError> {
        let mut line = Vec::new();
        input.read_until(b'\n', &mut line)?;
        let text = String::from_utf8_lossy(&line);
        let mut fields = text.trim_end().split(' ');
        if fields.next() != Some("YUV4MPEG2") {
            return Err(Y4mError::NotY4m);
        }
        let (mut width, mut height, mut fps, mut chroma) = (0u32, 0u32, 30.0f64, Chroma::C420);
        for f in fields {
            let (k, v) = f.split_at(f.len().min(1));
            match k {
                "W" => width = v.parse().map_err(|_| Y4mError::Header(f.into()))?,
                "H" => height = v.parse().map_err(|_| Y4mError::Header(f.into()))?,
                "F" => {
                    let (a, b) = v
                        .split_once(':')
                        .ok_or_else(|| Y4mError::Header(f.into()))?;
                    let (a, b): (f64, f64) = (
                        a.parse().map_err(|_| Y4mError::Header(f.into()))?,
                        b.parse().map_err(|_| Y4mError::Header(f.into()))?,
                    );
                    if a > 0.0 && b > 0.0 {
                        fps = a / b;
                    }
                }
                "C" => {
                    chroma = match v {
                        "420" | "420jpeg" | "420mpeg2" | "420paldv" => Chroma::C420,
                        "422" => Chroma::C422,
                        "444" => Chroma::C444,
                        "mono" => Chroma::Mono,
                        other => return Err(Y4mError::Colour(other.into())),
                    }
                }
                _ => {}
            }
        }
        if width == 0 || height == 0 {
            return Err(Y4mError::Header("missing W or H".into()));
        }
        Ok(Y4mReader {
            input,
            width,
            height,
            fps,
            chroma,
            frames: 0,
            buf: Vec::new(),
        })
    }

    fn chroma_size(&self) -> (usize, usize) {
        let (w, h) = (self.width as usize, self.height as usize);
        match self.chroma {
            Chroma::C420 => (w.div_ceil(2), h.div_ceil(2)),
            Chroma::C422 => (w.div_ceil(2), h),
            Chroma::C444 => (w, h),
            Chroma::Mono => (0, 0),
        }
    }

    /// Reads the next frame's header and payload into `self.buf`; `false` at the end.
    fn read_payload(&mut self) -> Result<bool, Y4mError> {
        let mut line = Vec::new();
        if self.input.read_until(b'\n', &mut line)? == 0 {
            return Ok(false);
        }
        if !line.starts_with(b"FRAME") {
            return Err(Y4mError::Frame(self.frames));
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = self.chroma_size();
        self.buf.resize(w * h + 2 * cw * ch, 0);
        self.input
            .read_exact(&mut self.buf)
            .map_err(|_| Y4mError::Frame(self.frames))?;
        self.frames += 1;
        Ok(true)
    }

    /// Skips the next frame without converting it; `false` at the end of the stream.
    pub fn skip_frame(&mut self) -> Result<bool, Y4mError> {
        self.read_payload()
    }

    /// The next frame, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<RgbImage>, Y4mError> {
        if !self.read_payload()? {
            return Ok(None);
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = self.chroma_size();
        let (y, c) = self.buf.split_at(w * h);
        let (u, v) = c.split_at(cw * ch);
        let mut raw = vec![0u8; w * h * 3];
        // BT.601 full range in 16.16 fixed point.
        let to8 = |v: i32| v.clamp(0, 255) as u8;
        for (yy, out) in raw.chunks_exact_mut(w * 3).enumerate() {
            let row = &y[yy * w..(yy + 1) * w];
            let cy = yy * ch / h.max(1);
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
        Ok(Some(
            RgbImage::from_raw(self.width, self.height, raw).expect("buffer of the frame's size"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut r = Y4mReader::new(&bytes[..]).unwrap();
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
    fn garbage_and_truncation_are_errors() {
        assert!(matches!(
            Y4mReader::new(&b"RIFF...."[..]),
            Err(Y4mError::NotY4m)
        ));
        assert!(matches!(
            Y4mReader::new(&b"YUV4MPEG2 W4 H4 F30:1 C420p10\n"[..]),
            Err(Y4mError::Colour(_))
        ));
        let mut r = Y4mReader::new(&b"YUV4MPEG2 W4 H4 F30:1\nFRAME\n0123"[..]).unwrap();
        assert!(matches!(r.next_frame(), Err(Y4mError::Frame(0))));
    }
}
