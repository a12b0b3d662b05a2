/**
 * WebGL2 compositing of one analysed frame: the camera frame, then each face's emoji warped by
 * its homography (inverse-mapped and divided per fragment, so the warp is projective), or an
 * opaque cover. The canvas holds the unmirrored frame at its own size; mirroring is CSS only.
 *
 * A lost WebGL context leaves the canvas blank (never a bare frame); when the browser restores
 * it, every GPU resource is made again from the copies kept here.
 */

import type { Expression, Matrix3, Point, RgbaImage } from '../../core/types.js';
import { COVER_RGB } from '../../core/masker/mask-plan.js';
import type { EmojiDraw, MaskPlan } from '../../core/masker/mask-plan.js';
import { frameSize, type CameraFrame } from '../shared/camera-frame.js';
import type { EmojiTexture } from '../shared/protocol.js';

export type RendererState = 'ready' | 'lost' | 'unavailable';

/** Positions are frame pixels (origin top-left); the shader turns them into clip space. */
const VERTEX_SHADER = `#version 300 es
in vec2 aPosition;
uniform vec2 uFrameSize;
void main() {
  vec2 clip = aPosition / uFrameSize * 2.0 - 1.0;
  gl_Position = vec4(clip.x, -clip.y, 0.0, 1.0);
}`;

/** The fragment's frame pixel centre, origin top-left (gl_FragCoord is bottom-left). */
const FRAME_POINT = `vec2 framePoint() { return vec2(gl_FragCoord.x, uFrameSize.y - gl_FragCoord.y); }`;

const FRAME_SHADER = `#version 300 es
precision highp float;
uniform vec2 uFrameSize;
uniform sampler2D uFrame;
out vec4 outColor;
${FRAME_POINT}
void main() {
  outColor = vec4(texture(uFrame, framePoint() / uFrameSize).rgb, 1.0);
}`;

/**
 * uInverse takes frame pixels to emoji pixels; the division by w happens here, per fragment.
 * The texture is sampled before any discard so the mip level's derivatives are defined.
 */
const EMOJI_SHADER = `#version 300 es
precision highp float;
uniform vec2 uFrameSize;
uniform mat3 uInverse;
uniform vec2 uEmojiSize;
uniform sampler2D uEmoji;
out vec4 outColor;
${FRAME_POINT}
void main() {
  vec3 q = uInverse * vec3(framePoint(), 1.0);
  vec2 uv = q.xy / q.z / uEmojiSize;
  vec4 colour = texture(uEmoji, uv);
  if (q.z <= 0.0 || any(lessThan(uv, vec2(0.0))) || any(greaterThan(uv, vec2(1.0)))) discard;
  outColor = colour;
}`;

const SOLID_SHADER = `#version 300 es
precision highp float;
uniform vec4 uColour;
out vec4 outColor;
void main() { outColor = uColour; }`;

interface Program {
  program: WebGLProgram;
  uniforms: Record<string, WebGLUniformLocation | null>;
}

interface GpuState {
  gl: WebGL2RenderingContext;
  frame: Program;
  emoji: Program;
  solid: Program;
  buffer: WebGLBuffer;
  vao: WebGLVertexArrayObject;
  frameTexture: WebGLTexture;
  frameSize: { width: number; height: number } | null;
  emojiTextures: Map<Expression, { texture: WebGLTexture; width: number; height: number }>;
}

export class GlRenderer {
  private gpu: GpuState | null = null;
  private emoji: EmojiTexture[] = [];
  private lost = false;

  /**
   * @param onState told when the context is lost, restored, or cannot be had at all.
   * @throws Error when the browser has no WebGL2.
   */
  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onState: (state: RendererState, detail?: string) => void,
  ) {
    canvas.addEventListener('webglcontextlost', (event) => {
      event.preventDefault(); // asks the browser to restore the context
      this.lost = true;
      this.gpu = null;
      this.onState('lost');
    });
    canvas.addEventListener('webglcontextrestored', () => {
      this.lost = false;
      this.setUp(false);
    });
    const failure = this.setUp(true);
    if (failure !== null) throw new Error(failure);
  }

  get state(): RendererState {
    return this.gpu !== null ? 'ready' : this.lost ? 'lost' : 'unavailable';
  }

  /** The seven emoji; kept so they can be uploaded again after a context loss. */
  setEmoji(textures: EmojiTexture[]): void {
    this.emoji = textures;
    if (this.gpu) uploadEmoji(this.gpu, textures);
  }

  /**
   * Draws `frame` with the masks of `plan` (made for this very frame). Returns false, drawing
   * nothing, while the context is lost or the emoji are not loaded yet.
   */
  draw(frame: CameraFrame, plan: MaskPlan): boolean {
    const gpu = this.gpu;
    if (gpu === null || gpu.gl.isContextLost()) return false;
    if (plan.draws.some((d) => d.kind === 'emoji' && !gpu.emojiTextures.has(d.expression))) {
      return false;
    }
    const { gl } = gpu;
    const { width, height } = frameSize(frame);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    gl.viewport(0, 0, width, height);
    gl.bindVertexArray(gpu.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.buffer);

    // The frame itself.
    gl.disable(gl.BLEND);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, gpu.frameTexture);
    if (gpu.frameSize?.width === width && gpu.frameSize.height === height) {
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, gl.RGBA, gl.UNSIGNED_BYTE, frame);
    } else {
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, frame);
      gpu.frameSize = { width, height };
    }
    use(gl, gpu.frame, width, height);
    gl.uniform1i(gpu.frame.uniforms.uFrame, 0);
    drawPolygon(gl, frameRect(width, height));

    if (plan.fullCover) {
      use(gl, gpu.solid, width, height);
      gl.uniform4f(gpu.solid.uniforms.uColour, ...coverColour());
      drawPolygon(gl, frameRect(width, height, 1));
      return true;
    }

    // Premultiplied emoji over the frame.
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    for (const draw of plan.draws) {
      if (draw.kind === 'emoji') {
        this.drawEmoji(gpu, draw, width, height);
      } else {
        use(gl, gpu.solid, width, height);
        gl.uniform4f(gpu.solid.uniforms.uColour, ...coverColour());
        drawPolygon(gl, draw.polygon);
      }
    }
    return true;
  }

  /**
   * The canvas's pixels, top row first. Only meaningful straight after {@link draw}, in the same
   * task (the drawing buffer is not preserved); used by the tests and the bench.
   */
  readPixels(): RgbaImage | null {
    const gpu = this.gpu;
    if (gpu === null) return null;
    const { gl } = gpu;
    const { width, height } = this.canvas;
    const bottomUp = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, bottomUp);
    const data = new Uint8Array(bottomUp.length);
    const row = width * 4;
    for (let y = 0; y < height; y++) {
      data.set(bottomUp.subarray((height - 1 - y) * row, (height - y) * row), y * row);
    }
    return { width, height, data };
  }

  /** Waits for the GPU to finish the frame (reads one pixel); for timing the composite. */
  finish(): void {
    this.gpu?.gl.readPixels(
      0,
      0,
      1,
      1,
      this.gpu.gl.RGBA,
      this.gpu.gl.UNSIGNED_BYTE,
      new Uint8Array(4),
    );
  }

  /** The WEBGL_lose_context extension, for testing recovery; null without a context. */
  loseContextExtension(): WEBGL_lose_context | null {
    return this.gpu?.gl.getExtension('WEBGL_lose_context') ?? null;
  }

  private drawEmoji(gpu: GpuState, draw: EmojiDraw, width: number, height: number): void {
    const { gl } = gpu;
    const texture = gpu.emojiTextures.get(draw.expression);
    if (!texture) return;
    use(gl, gpu.emoji, width, height);
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, texture.texture);
    gl.uniform1i(gpu.emoji.uniforms.uEmoji, 1);
    gl.uniform2f(gpu.emoji.uniforms.uEmojiSize, texture.width, texture.height);
    gl.uniformMatrix3fv(gpu.emoji.uniforms.uInverse, false, columnMajor(draw.inverse));
    // The emoji's own quad when it is bounded; else every pixel (the shader discards the rest).
    drawPolygon(gl, draw.quad ?? frameRect(width, height, 1));
  }

  /** Makes every GPU resource; returns what went wrong, or null. Reports changes after the first. */
  private setUp(first: boolean): string | null {
    const report = (state: RendererState, detail?: string) => {
      if (!first) this.onState(state, detail);
    };
    const gl = this.canvas.getContext('webgl2', {
      alpha: false,
      antialias: false,
      depth: false,
      stencil: false,
      premultipliedAlpha: true,
      preserveDrawingBuffer: false,
    });
    if (gl === null) {
      const reason = 'WebGL2 is not available in this browser';
      report('unavailable', reason);
      return reason;
    }
    try {
      const buffer = gl.createBuffer();
      const vao = gl.createVertexArray();
      const frameTexture = gl.createTexture();
      const frame = compile(gl, FRAME_SHADER, ['uFrameSize', 'uFrame']);
      const emoji = compile(gl, EMOJI_SHADER, ['uFrameSize', 'uInverse', 'uEmojiSize', 'uEmoji']);
      const solid = compile(gl, SOLID_SHADER, ['uFrameSize', 'uColour']);
      gl.bindVertexArray(vao);
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      // Every program reads aPosition from attribute 0 (bound before linking).
      gl.enableVertexAttribArray(0);
      gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
      gl.bindTexture(gl.TEXTURE_2D, frameTexture);
      setSampling(gl, gl.LINEAR);
      this.gpu = {
        gl,
        frame,
        emoji,
        solid,
        buffer,
        vao,
        frameTexture,
        frameSize: null,
        emojiTextures: new Map(),
      };
      uploadEmoji(this.gpu, this.emoji);
      report('ready');
      return null;
    } catch (err) {
      this.gpu = null;
      const reason = err instanceof Error ? err.message : String(err);
      // A context lost during set-up fails here too; the restore event will try again.
      if (gl.isContextLost()) return null;
      report('unavailable', reason);
      return reason;
    }
  }
}

function uploadEmoji(gpu: GpuState, textures: EmojiTexture[]): void {
  const { gl } = gpu;
  for (const t of textures) {
    const texture = gpu.emojiTextures.get(t.expression)?.texture ?? gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(
      gl.TEXTURE_2D,
      0,
      gl.RGBA8,
      t.width,
      t.height,
      0,
      gl.RGBA,
      gl.UNSIGNED_BYTE,
      t.premultiplied,
    );
    gl.generateMipmap(gl.TEXTURE_2D);
    setSampling(gl, gl.LINEAR_MIPMAP_LINEAR);
    gpu.emojiTextures.set(t.expression, { texture, width: t.width, height: t.height });
  }
}

function setSampling(gl: WebGL2RenderingContext, minFilter: number): void {
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, minFilter);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
}

function compile(gl: WebGL2RenderingContext, fragmentSource: string, uniforms: string[]): Program {
  const shader = (type: number, source: string, kind: string): WebGLShader => {
    const s = gl.createShader(type);
    if (s === null) throw new Error(`cannot create the ${kind} shader`);
    gl.shaderSource(s, source);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) {
      throw new Error(`the ${kind} shader does not compile: ${gl.getShaderInfoLog(s) ?? ''}`);
    }
    return s;
  };
  const program = gl.createProgram();
  gl.attachShader(program, shader(gl.VERTEX_SHADER, VERTEX_SHADER, 'vertex'));
  gl.attachShader(program, shader(gl.FRAGMENT_SHADER, fragmentSource, 'fragment'));
  gl.bindAttribLocation(program, 0, 'aPosition');
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    throw new Error(`a shader program does not link: ${gl.getProgramInfoLog(program) ?? ''}`);
  }
  return {
    program,
    uniforms: Object.fromEntries(uniforms.map((u) => [u, gl.getUniformLocation(program, u)])),
  };
}

function use(gl: WebGL2RenderingContext, p: Program, width: number, height: number): void {
  gl.useProgram(p.program);
  gl.uniform2f(p.uniforms.uFrameSize, width, height);
}

/** Fills a convex polygon (frame pixels) as a triangle fan. */
function drawPolygon(gl: WebGL2RenderingContext, points: readonly Point[]): void {
  const xy = new Float32Array(points.length * 2);
  points.forEach((p, i) => {
    xy[2 * i] = p.x;
    xy[2 * i + 1] = p.y;
  });
  gl.bufferData(gl.ARRAY_BUFFER, xy, gl.STREAM_DRAW);
  gl.drawArrays(gl.TRIANGLE_FAN, 0, points.length);
}

function frameRect(width: number, height: number, margin = 0): Point[] {
  return [
    { x: -margin, y: -margin },
    { x: width + margin, y: -margin },
    { x: width + margin, y: height + margin },
    { x: -margin, y: height + margin },
  ];
}

function coverColour(): [number, number, number, number] {
  return [COVER_RGB[0] / 255, COVER_RGB[1] / 255, COVER_RGB[2] / 255, 1];
}

/** GLSL reads mat3 uniforms column by column; Matrix3 is row-major. */
function columnMajor(m: Matrix3): Float32Array {
  return new Float32Array([m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]]);
}
