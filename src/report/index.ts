/**
 * report: the pictures of a healing run, drawn alike wherever they appear. The mesh with its
 * nodes and links coloured by health, incidents outlined and faults marked where they struck
 * (mesh.ts builds the shapes; canvas.ts paints them live in the playground, svg.ts writes them
 * into the self-contained HTML reports of a run and of a replay), a layout for topologies drawn
 * without coordinates, and one palette for health, fault kinds and the steps of a fault's life.
 */
export {
  type Hit,
  hitTest,
  type IncidentOutline,
  LINK_HEALTH,
  MARK,
  type MeshGeometry,
  type MeshLayout,
  type MeshPicture,
  meshShapes,
  outline,
  placeMesh,
  type Shape,
  type Strike,
} from './mesh.ts';
export {
  INCIDENT_COLORS,
  KIND_COLORS,
  kindColor,
  LINK_COLORS,
  MARK_COLORS,
  NODE_COLORS,
  NODE_HEALTH,
  type NodeHealth,
  STEP_COLORS,
} from './palette.ts';
export { type Canvas2D, paintShapes } from './canvas.ts';
export { shapesSvg } from './svg.ts';
export {
  distributionSvg,
  type DistributionOptions,
  incidentLanesSvg,
  type IncidentLaneOptions,
  quantile,
  shareBar,
  swimlanesSvg,
  type SwimlaneOptions,
  timeLabel,
} from './charts.ts';
export {
  type FaultScore,
  replayReportHtml,
  type ReplayReportInput,
  runReportHtml,
  type RunReportInput,
} from './html.ts';
export { type DrawableTopology, topologyLayout } from './layout.ts';
export { type FigureTarget, formatBound, formatFigure, meets, TARGETS } from './targets.ts';
