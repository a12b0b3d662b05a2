export { compositeWarped, type CompositeOptions } from './composite-warped.js';
export { fillPolygon, type RgbaColor } from './fill-polygon.js';
export { projectImageCorners, warpBounds } from './warp-footprint.js';
export { buildMipChain, compositeMipmapped, selectMipLevel, type MipChain } from './mip-chain.js';
