/**
 * One-line explanations of every quality figure the page reports, in one place so the cluster and map panels
 * (and their hover titles) say the same thing. Each `line` is shown under its figure; `detail` is the hover text.
 */

/** The figures with an explanation. */
export type MetricId = 'inertia' | 'ari' | 'nmi' | 'purity' | 'kl' | 'trustworthiness' | 'knnAccuracy' | 'pcaExplained';

export interface MetricHelp {
  /** The figure's short name, as its label shows it. */
  label: string;
  /** One visible line: what the number means and which way is better. */
  line: string;
  /** A longer hover text. */
  detail: string;
}

export const METRIC_HELP: Readonly<Record<MetricId, MetricHelp>> = {
  inertia: {
    label: 'inertia',
    line: 'Sum of squared distances from each code to its cluster centre; lower is tighter.',
    detail: 'KMeans minimises this. It only compares runs on the same codes: its size depends on the number of points and their scale.',
  },
  ari: {
    label: 'ARI',
    line: 'Adjusted Rand index against the true digits: 1 = the same grouping, 0 = chance.',
    detail: 'Counts pairs of images that the clusters and the digits put together or apart alike, corrected for what random clusters would score.',
  },
  nmi: {
    label: 'NMI',
    line: 'Normalised mutual information with the digits: 0 = clusters say nothing about the digit, 1 = everything.',
    detail: 'How much knowing an image’s cluster reduces uncertainty about its digit, scaled by both labellings’ entropies.',
  },
  purity: {
    label: 'purity',
    line: 'Share of images whose cluster’s most common digit is their own; higher is better.',
    detail: 'Each cluster is named after its most common digit and counted right for those images. More clusters make it easier to score high.',
  },
  kl: {
    label: 'exact KL divergence',
    line: 'How far the map’s neighbour probabilities are from the codes’; lower is better.',
    detail: 't-SNE’s own objective, computed exactly over all pairs (not the Barnes–Hut estimate scikit-learn prints); only comparable at the same size and perplexity.',
  },
  trustworthiness: {
    label: 'trustworthiness (10)',
    line: 'Whether each point’s 10 nearest map neighbours are also near in the 64-d codes: 1 = none are strangers.',
    detail: 'Penalises map neighbours that are far down the list of true neighbours in latent space (Venna & Kaski).',
  },
  knnAccuracy: {
    label: '10-NN accuracy in 2-D',
    line: 'Share of points whose 10 nearest map neighbours mostly share their digit.',
    detail: 'A majority vote of the 10 nearest points on the map predicts each digit; compare with the same vote in the 64-d codes.',
  },
  pcaExplained: {
    label: 'variance shown',
    line: 'Share of the codes’ total variance along the PCA map’s two axes; the rest lies in the directions it flattens.',
    detail: 'The first two eigenvalues of the codes’ covariance over their sum. PCA is linear and exact: the same codes always give the same map.',
  },
};

/** A figure's label, visible line and hover text, as `Stat` takes them. */
export function helpProps(id: MetricId): { label: string; explain: string; hint: string } {
  const help = METRIC_HELP[id];
  return { label: help.label, explain: help.line, hint: help.detail };
}
