/**
 * The whole pipeline for one stream of frames: find faces, follow them, classify their
 * expressions and draw the matching emoji over each.
 */

import { ExpressionClassifier } from '../classifier/expression-classifier.js';
import { ferCropsToTensor, ferCropToSource } from '../classifier/face-align.js';
import { FER_FRAMING, FER_MEAN_MESH } from '../classifier/fer-framing.js';
import { buildMipChain, compositeMipmapped, fillPolygon, type MipChain } from '../compose/index.js';
import { FaceDetector } from '../detector/face-detector.js';
import type { FaceDetection } from '../detector/face-detector-result.js';
import type { EmojiArt, EmojiPack } from '../emoji/emoji-pack.js';
import { iou, overlap } from '../geometry/box-overlap.js';
import type { Affine, RotatedRect } from '../image-ops/affine.js';
import { checkFrame, FramePyramid } from '../image-ops/warp-to-tensor.js';
import { FaceLandmarker } from '../landmarks/face-landmarker.js';
import type { FaceMesh } from '../landmarks/face-landmarker-result.js';
import { maskKeypointsFromMesh } from '../landmarks/mesh-to-ibug.js';
import {
  boundsOf,
  roiFromDetection,
  roiFromLandmarks,
  rotationOf,
  squareRoi,
} from '../landmarks/roi.js';
import { ProfileDetector, type ProfileFace } from '../mtcnn/profile-detector.js';
import type { OrtRuntime } from '../runtime.js';
import { SILENT_LOGGER, type Logger } from '../runtime.js';
import {
  EXPRESSIONS,
  type Box,
  type Expression,
  type FaceResult,
  type MaskKeypoints,
  type Point,
  type RgbaImage,
} from '../types.js';
import { FaceTrack, type TrackGeometry } from '../tracking/face-track.js';
import { SceneCutDetector } from '../tracking/scene-cut.js';
import { estimateFromBox, estimateFromDetection, type FaceEstimate } from './detection-fallback.js';
import { emojiShapeAnchors, MESH_FACE_OVAL, MESH_SHAPE_ANCHORS } from './mask-geometry.js';
import { COVER_RGB, planMasks, type MaskPlan, type PlanningPack } from './mask-plan.js';
import {
  DEFAULT_PROFILE_INTERVAL,
  type MaskerModels,
  type MaskerOptions,
} from './masker-options.js';

/** Per-frame settings of {@link Masker.process}. */
export interface FrameInfo {
  /**
   * Presentation time of the frame in milliseconds. Frames of one video pass increasing times;
   * omit it for unrelated still images (each is then processed on its own).
   */
  timeMs?: number;
}

/** Below this face-presence probability the mesh is not trusted (MediaPipe's own threshold). */
export const MIN_PRESENCE = 0.5;
/**
 * A detection the mesh model rejects is still masked (from the detector's own keypoints) when
 * the detector is at least this sure: a real face turned too far for the mesh is covered, while
 * the weak detections the mesh rejects on animals and patterns (0.5-0.6 on the shared photos,
 * where real faces score 0.77-0.96) are not.
 */
const FALLBACK_MIN_SCORE = 0.75;
/** A detection or new face belongs to a tracked face when their boxes overlap this much. */
const TRACK_MATCH_IOU = 0.2;
/** Two faces whose boxes overlap this much are one face found twice. */
const DUPLICATE_IOU = 0.5;
/** A face with this much of its box inside a larger face's box is part of that face. */
const PART_OF_FACE_OVERLAP = 0.6;
/**
 * A face of the second detector is one already found when this much of the smaller of the two
 * boxes lies inside the other (its box is drawn larger than the mesh's outline box).
 */
const PROFILE_EXPLAINED_OVERLAP = 0.3;
/** The mesh is tried on a profile face in a square this many times its box's longer side. */
const PROFILE_ROI_SCALE = 1.3;
/**
 * The masker searches tiles as well as the whole frame unless told otherwise: the short-range
 * detector alone misses faces under about a tenth of the frame (13 of 43 found on the dlib
 * photos, 43 of 43 with tiles), and every face must be masked.
 */
export const DEFAULT_MASKER_TILING = 'auto';
/** Painted where a face cannot be masked with its emoji: an emoji yellow, fully opaque. */
const COVER_COLOUR = { r: COVER_RGB[0], g: COVER_RGB[1], b: COVER_RGB[2], a: 255 };

interface PreparedEmoji {
  art: EmojiArt;
  chain: MipChain;
  /** Where the mesh's shape anchors fall on the emoji. */
  anchors: Point[];
}

/** A face found in this frame, before it is classified. */
interface Observation {
  /** The track it continues, when it was found by following one. */
  trackId: number | null;
  box: Box;
  score: number;
  geometry: TrackGeometry;
  /** Empty for a face the mesh rejected (keypoints then come from the detector). */
  landmarks: FaceMesh['landmarks'];
  crop: Affine | null;
}

export class Masker {
  private tracks: FaceTrack[] = [];
  /** The last accepted mesh of each live track, which seeds its mesh in the next frame. */
  private readonly meshes = new Map<number, FaceMesh['landmarks']>();
  private nextId = 1;
  private disposed = false;
  /** Faces already warned about in {@link render} for an emoji that could not be placed. */
  private readonly warnedNotPlaced = new Set<number>();
  /** Size of the last frame analysed, to notice a stream changing size. */
  private frameSize: { width: number; height: number } | null = null;
  private readonly planning: PlanningPack;
  private readonly cuts = new SceneCutDetector();
  /** Video frames since the second detector last ran. */
  private framesSinceProfile = Infinity;
  private readonly profileInterval: number;

  private constructor(
    private readonly detector: FaceDetector,
    private readonly profileDetector: ProfileDetector | null,
    private readonly landmarker: FaceLandmarker,
    private readonly classifier: ExpressionClassifier,
    private readonly emoji: Readonly<Record<Expression, PreparedEmoji>>,
    private readonly options: MaskerOptions,
    private readonly logger: Logger,
  ) {
    this.profileInterval = profileInterval(options);
    const planning = {} as Record<Expression, PlanningPack[Expression]>;
    for (const e of EXPRESSIONS) planning[e] = { art: emoji[e].art, anchors: emoji[e].anchors };
    this.planning = planning;
  }

  /**
   * Loads the models and prepares the emoji pack; the masker owns the ONNX sessions.
   *
   * @throws Error naming the model file when one cannot be loaded.
   */
  static async create(
    runtime: OrtRuntime,
    models: MaskerModels,
    emoji: EmojiPack,
    options: MaskerOptions = {},
  ): Promise<Masker> {
    const session = options.session ?? {};
    profileInterval(options); // a bad setting fails before any model loads
    const prepared = {} as Record<Expression, PreparedEmoji>;
    for (const name of EXPRESSIONS) {
      const art = emoji[name];
      if (!art) throw new Error(`emoji pack: no emoji for "${name}"`);
      prepared[name] = {
        art,
        chain: buildMipChain(art.image),
        anchors: emojiShapeAnchors(art, FER_MEAN_MESH),
      };
    }

    const loaded: { dispose(): Promise<void> }[] = [];
    try {
      const detector = await FaceDetector.create(runtime, models.detector, {
        tiling: DEFAULT_MASKER_TILING,
        ...options.detector,
        session: { ...session, ...options.detector?.session },
      });
      loaded.push(detector);
      const profileDetector =
        options.profileDetector === false
          ? null
          : await ProfileDetector.create(
              runtime,
              { pnet: models.mtcnnPnet, rnet: models.mtcnnRnet, onet: models.mtcnnOnet },
              {
                ...options.profileDetector,
                session: { ...session, ...options.profileDetector?.session },
              },
            );
      if (profileDetector) loaded.push(profileDetector);
      const landmarker = await FaceLandmarker.create(runtime, models.landmarks, {
        ...options.landmarks,
        session: { ...session, ...options.landmarks?.session },
      });
      loaded.push(landmarker);
      const classifier = await ExpressionClassifier.create(runtime, models.expression, { session });
      loaded.push(classifier);
      return new Masker(
        detector,
        profileDetector,
        landmarker,
        classifier,
        prepared,
        options,
        options.logger ?? SILENT_LOGGER,
      );
    } catch (err) {
      await Promise.all(loaded.map((m) => m.dispose()));
      throw err;
    }
  }

  /**
   * Finds and classifies every face, without drawing.
   *
   * With `info.timeMs` the frame continues the stream of the previous calls: faces keep their
   * ids, each face's mesh is seeded from its last position, keypoints and expressions are
   * smoothed over time, and a face that is lost stays in the result as `held`, then `covered`
   * (see {@link MaskerOptions.failClosed}). Without it the frame stands alone.
   */
  async analyze(frame: RgbaImage, info: FrameInfo = {}): Promise<FaceResult[]> {
    this.checkUsable();
    checkFrame(frame);
    const video = info.timeMs !== undefined;
    // A still stands alone; a stream whose frame size changes (a camera switched resolution)
    // starts over, since the tracked positions are in the old frame's pixels.
    const resized =
      this.frameSize !== null &&
      (this.frameSize.width !== frame.width || this.frameSize.height !== frame.height);
    if (!video || resized) this.reset();
    this.frameSize = { width: frame.width, height: frame.height };
    // A new shot: the old shot's faces have left the picture, so their masks go with them
    // instead of being held over the new one, and every face is found afresh.
    const cut = video && this.cuts.next(frame);
    if (cut) this.forgetFaces();
    const timeMs = info.timeMs ?? 0;

    // One set of half-size copies of the frame for the detectors' and the mesh's warps.
    const pyramid = new FramePyramid(frame);
    const detections = await this.detector.detect(pyramid);
    const profiles =
      this.profileDetector && this.scheduleProfile(video, cut)
        ? await this.profileDetector.detect(pyramid)
        : [];
    const observations = await this.observe(pyramid, detections, profiles);
    const probabilities = await this.classify(frame, observations);

    const trackOptions = video
      ? {
          keypointSmoothing: this.options.keypointSmoothing,
          expressionSmoothing: this.options.expressionSmoothing,
          failClosed: this.options.failClosed,
        }
      : { keypointSmoothing: false as const, expressionSmoothing: false as const };
    const seen = new Set<FaceTrack>();
    observations.forEach((o, i) => {
      const track =
        this.tracks.find((t) => t.id === o.trackId) ??
        this.tracks.find((t) => !seen.has(t) && iou(t.box, o.box) >= TRACK_MATCH_IOU);
      if (track) {
        track.see(o.geometry, probabilities[i], o.score, timeMs);
        seen.add(track);
        this.remember(track.id, o.landmarks);
      } else {
        const created = new FaceTrack(
          this.nextId++,
          o.geometry,
          probabilities[i],
          o.score,
          timeMs,
          trackOptions,
        );
        this.tracks.push(created);
        seen.add(created);
        this.remember(created.id, o.landmarks);
      }
    });
    this.tracks = this.tracks.filter((t) => {
      if (seen.has(t)) return true;
      this.meshes.delete(t.id);
      return video && t.miss(timeMs, frame);
    });

    return this.tracks.map((t) => {
      return {
        id: t.id,
        box: t.box,
        score: t.score,
        tracking: t.state,
        expression: t.expression,
        probabilities: t.probabilities,
        keypoints: t.geometry.keypoints,
        outline: t.geometry.outline,
        anchors: t.geometry.anchors,
        landmarks: t.state === 'live' ? (this.meshes.get(t.id) ?? []) : [],
      };
    });
  }

  /**
   * Draws the emoji of each face onto `frame`, in place, as {@link planMasks} lays them out. A
   * `covered` face, or one whose emoji cannot be placed (degenerate keypoints), is painted over
   * opaque instead: a face handed to this method is never left showing. With `strict`, any sign
   * of doubt covers the whole frame.
   */
  render(frame: RgbaImage, faces: readonly FaceResult[]): void {
    this.checkUsable();
    checkFrame(frame);
    const plan = this.plan(faces, frame);
    if (plan.fullCover) {
      fillPolygon(frame, frameOutline(frame), COVER_COLOUR);
      return;
    }
    for (const draw of plan.draws) {
      if (draw.kind === 'emoji') {
        compositeMipmapped(frame, this.emoji[draw.expression].chain, draw.matrix);
      } else {
        if (draw.reason === 'not placed' && !this.warnedNotPlaced.has(draw.faceId)) {
          // Once per face: a face seen side-on stays unplaceable for many frames.
          this.warnedNotPlaced.add(draw.faceId);
          this.logger.warn(
            `face ${draw.faceId}: emoji not placed (keypoints degenerate or too distorted); covering it`,
          );
        }
        fillPolygon(frame, draw.polygon, COVER_COLOUR);
      }
    }
  }

  /**
   * What {@link render} draws for `faces` on a `frame.width` x `frame.height` frame, without
   * drawing: this masker's emoji pack and `strict` setting passed to {@link planMasks}. For tools
   * that measure what is drawn (coverage of the face); `render` draws exactly this plan.
   */
  plan(faces: readonly FaceResult[], frame: { width: number; height: number }): MaskPlan {
    this.checkUsable();
    return planMasks(faces, this.planning, frame, {
      emoji: true,
      strict: this.options.strict ?? false,
    });
  }

  /** {@link analyze} then {@link render}: masks `frame` in place and returns what was found. */
  async process(frame: RgbaImage, info: FrameInfo = {}): Promise<FaceResult[]> {
    const faces = await this.analyze(frame, info);
    this.render(frame, faces);
    return faces;
  }

  /** Forgets every tracked face and the last frame (call between unrelated videos). */
  reset(): void {
    this.cuts.reset();
    this.framesSinceProfile = Infinity;
    this.forgetFaces();
  }

  /** Releases the ONNX sessions; idempotent. Every other method throws afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([
      this.detector.dispose(),
      this.profileDetector?.dispose(),
      this.landmarker.dispose(),
      this.classifier.dispose(),
    ]);
  }

  private checkUsable(): void {
    if (this.disposed) throw new Error('Masker: this masker has been disposed');
  }

  private forgetFaces(): void {
    this.tracks = [];
    this.meshes.clear();
    this.warnedNotPlaced.clear();
  }

  /**
   * Whether the second detector runs on this frame (see `MaskerProfileOptions.interval`); counts
   * the frames since it last ran.
   */
  private scheduleProfile(video: boolean, cut: boolean): boolean {
    const unfollowed = this.tracks.some((t) => t.state !== 'live' || !this.meshes.has(t.id));
    // Strict mode allows no frame in which a face only this detector finds could show.
    const run =
      !video ||
      cut ||
      unfollowed ||
      this.options.strict === true ||
      this.framesSinceProfile + 1 >= this.profileInterval;
    this.framesSinceProfile = run ? 0 : this.framesSinceProfile + 1;
    return run;
  }

  private remember(id: number, landmarks: FaceMesh['landmarks']): void {
    if (landmarks.length > 0) this.meshes.set(id, landmarks);
    else this.meshes.delete(id);
  }

  /**
   * Runs the mesh on every live face (seeded from its last mesh), then on every detection no
   * face found so far explains (seeded from the detection, then refined once from its own
   * mesh); a face of the second detector that no mesh explains is masked from its box when the
   * mesh rejects it too.
   */
  private async observe(
    frame: FramePyramid,
    detections: FaceDetection[],
    profiles: ProfileFace[],
  ): Promise<Observation[]> {
    let found: Observation[] = [];
    const unexplained = new Set(detections);

    for (const track of this.tracks) {
      const last = this.meshes.get(track.id);
      if (!last) continue;
      const mesh = await this.landmarker.run(frame, roiFromLandmarks(last));
      if (mesh.presence < MIN_PRESENCE) continue;
      const observation = this.fromMesh(track.id, mesh, mesh.presence);
      for (const d of detections)
        if (iou(d.box, observation.box) >= TRACK_MATCH_IOU) unexplained.delete(d);
      found.push(observation);
    }

    for (const detection of unexplained) {
      const mesh = await this.newFaceMesh(frame, roiFromDetection(detection));
      if (mesh.presence >= MIN_PRESENCE) found.push(this.fromMesh(null, mesh, detection.score));
      else if (detection.score >= FALLBACK_MIN_SCORE) found.push(this.fromDetection(detection));
    }

    for (const face of profiles) {
      const explained = found.some(
        (o) =>
          o.landmarks.length > 0 && overlap(o.box, face.box, 'min') >= PROFILE_EXPLAINED_OVERLAP,
      );
      if (explained) continue;
      // A face the first detector could only guess from its six points (too small an outline in
      // profile, where the eyes nearly meet) is described by this box instead.
      found = found.filter(
        (o) =>
          o.landmarks.length > 0 || overlap(o.box, face.box, 'min') < PROFILE_EXPLAINED_OVERLAP,
      );
      const [leftEye, rightEye] = face.points;
      const roi = squareRoi(face.box, rotationOf(leftEye, rightEye), PROFILE_ROI_SCALE);
      const mesh = await this.newFaceMesh(frame, roi);
      found.push(
        mesh.presence >= MIN_PRESENCE
          ? this.fromMesh(null, mesh, face.score)
          : this.fromProfile(face),
      );
    }
    return dropDuplicates(found);
  }

  /**
   * The mesh of a face not tracked yet, which must pass twice: seeded from `roi`, then from its
   * own first mesh. Returns the last mesh run (check its presence).
   */
  private async newFaceMesh(frame: FramePyramid, roi: RotatedRect): Promise<FaceMesh> {
    const first = await this.landmarker.run(frame, roi);
    if (first.presence < MIN_PRESENCE) return first;
    return this.landmarker.run(frame, roiFromLandmarks(first.landmarks));
  }

  private fromMesh(trackId: number | null, mesh: FaceMesh, score: number): Observation {
    const outline = MESH_FACE_OVAL.map((i) => mesh.landmarks[i]);
    return {
      trackId,
      box: boundsOf(outline),
      score,
      geometry: {
        keypoints: maskKeypointsFromMesh(mesh.landmarks),
        outline,
        anchors: MESH_SHAPE_ANCHORS.map((i) => mesh.landmarks[i]),
      },
      landmarks: mesh.landmarks,
      crop: ferCropToSource(mesh.landmarks, FER_FRAMING, this.classifier.inputSize),
    };
  }

  private fromDetection(detection: FaceDetection): Observation {
    return this.fromEstimate(estimateFromDetection(detection), detection.score);
  }

  private fromProfile(face: ProfileFace): Observation {
    // Every emoji of the pack shares one keypoint layout; the neutral one stands for all.
    return this.fromEstimate(estimateFromBox(face.box, this.emoji.neutral.art), face.score);
  }

  /** A face without a mesh, drawn and classified from estimated keypoints and outline. */
  private fromEstimate({ keypoints, outline }: FaceEstimate, score: number): Observation {
    return {
      trackId: null,
      box: boundsOf(outline),
      score,
      geometry: { keypoints, outline, anchors: [] },
      landmarks: [],
      crop: ferCropFromKeypoints(keypoints, this.classifier.inputSize),
    };
  }

  /** Expression probabilities of each observation; all seven equal when it has no crop. */
  private async classify(
    frame: RgbaImage,
    observations: readonly Observation[],
  ): Promise<Record<Expression, number>[]> {
    const size = this.classifier.inputSize;
    const withCrop = observations.filter((o) => o.crop !== null);
    const pixels = ferCropsToTensor(
      frame,
      withCrop.map((o) => o.crop),
      size,
    );
    const probs =
      withCrop.length > 0 ? await this.classifier.classifyCrops(pixels, withCrop.length) : null;
    const labels = this.classifier.labels;
    let next = 0;
    return observations.map((o) => {
      const out = {} as Record<Expression, number>;
      if (o.crop === null || probs === null) {
        for (const e of EXPRESSIONS) out[e] = 1 / EXPRESSIONS.length;
        return out;
      }
      const row = next++;
      labels.forEach((label, k) => (out[label] = probs[row * labels.length + k]));
      return out;
    });
  }
}

/** The FER crop of a face known only by its keypoints (no mesh), fitted on those points. */
function ferCropFromKeypoints(keypoints: MaskKeypoints, cropSize: number): Affine | null {
  const framing = {
    imageSize: FER_FRAMING.imageSize,
    indices: FER_KEYPOINT_INDICES.map((_, i) => i),
    points: FER_KEYPOINT_INDICES.map(([, index]) => FER_MEAN_MESH[index]),
  };
  return ferCropToSource(
    FER_KEYPOINT_INDICES.map(([name]) => keypoints[name]),
    framing,
    cropSize,
  );
}

/** Mesh indices of the masking keypoints that have a fixed mesh point, for the fallback crop. */
const FER_KEYPOINT_INDICES: readonly (readonly [keyof MaskKeypoints, number])[] = [
  ['rightEyeOuter', 33],
  ['leftEyeOuter', 263],
  ['mouthRight', 61],
  ['mouthLeft', 291],
  ['chin', 152],
];

/**
 * Keeps the first of any two faces whose boxes overlap heavily (tracked faces come first), then
 * drops a face lying mostly inside a larger one: part of that face found a second time (the mesh
 * accepts a crop of half a face, on talking-d13.mp4), which the larger face's mask covers.
 */
function dropDuplicates(faces: Observation[]): Observation[] {
  const kept: Observation[] = [];
  for (const face of faces) {
    if (!kept.some((k) => iou(k.box, face.box) >= DUPLICATE_IOU)) kept.push(face);
  }
  const area = (o: Observation) => o.box.width * o.box.height;
  return kept.filter(
    (face) =>
      !kept.some(
        (k) => area(k) > area(face) && overlap(face.box, k.box, 'min') >= PART_OF_FACE_OVERLAP,
      ),
  );
}

/** The second detector's run interval from the options, checked. */
function profileInterval(options: MaskerOptions): number {
  const interval =
    (options.profileDetector ? options.profileDetector.interval : undefined) ??
    DEFAULT_PROFILE_INTERVAL;
  if (!(Number.isInteger(interval) && interval >= 1)) {
    throw new RangeError(
      `profileDetector.interval: expected a positive integer, got ${JSON.stringify(interval)}`,
    );
  }
  return interval;
}

/** The whole frame, as a polygon grown a pixel past its edges. */
function frameOutline(frame: RgbaImage): Point[] {
  const { width: w, height: h } = frame;
  return [
    { x: -1, y: -1 },
    { x: w + 1, y: -1 },
    { x: w + 1, y: h + 1 },
    { x: -1, y: h + 1 },
  ];
}
