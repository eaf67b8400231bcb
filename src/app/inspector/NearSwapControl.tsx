import { nearSwapShare } from '../../methods/nearswap-share';
import { formatModelRef } from '../../recipe/model-ref';
import { useAppStore } from '../../state/hooks';
import { formatCount } from '../../state/model-summary';
import { useSamplePairs } from '../../state/nearswap-preview';
import { stageInputs } from '../../state/recipe-graph';

const T_MIN_EXP = -6;
const T_MAX_EXP = -1;

/** NearSwap's `t` on a log scale, with the share of weights that move at that t on sampled tensors of the two models. */
export function NearSwapControl({ index }: { index: number }) {
  const stage = useAppStore((s) => s.recipe.stages[index]);
  const setParameter = useAppStore((s) => s.setParameter);
  const models = useAppStore((s) => s.models);
  const inputs = stage === undefined ? [] : stageInputs(stage);
  const baseRef = inputs.find((i) => i.role === 'base')?.ref;
  const otherRef = inputs.find((i) => i.role === 'model' && (baseRef === undefined || formatModelRef(i.ref) !== formatModelRef(baseRef)))?.ref;
  const samples = useSamplePairs(baseRef === undefined ? undefined : models[formatModelRef(baseRef)], otherRef === undefined ? undefined : models[formatModelRef(otherRef)]);
  const raw = stage?.parameters['t'];
  const t = typeof raw === 'number' && raw > 0 ? raw : 1e-4;
  const share = samples.status === 'ready' ? nearSwapShare(samples.pairs, t) : undefined;
  return (
    <div className="nearswap-control" data-testid="nearswap-control">
      <label className="row">
        <span>
          <code className="param-name">t</code> (log)
        </span>
        <input
          type="range"
          aria-label="NearSwap t (log scale)"
          min={T_MIN_EXP}
          max={T_MAX_EXP}
          step={0.05}
          value={Math.log10(t)}
          onChange={(e) => setParameter(index, 't', Number((10 ** Number(e.target.value)).toPrecision(2)))}
        />
        <output>{t.toExponential(1)}</output>
      </label>
      <p className="muted" data-testid="nearswap-share">
        {samples.status === 'idle' ? 'Read both models\' headers (base and one other) to see how many weights move.' : null}
        {samples.status === 'measuring' ? 'measuring…' : null}
        {samples.status === 'error' ? `Could not sample: ${samples.message}` : null}
        {share === undefined
          ? null
          : `${(share.swapped * 100).toFixed(1)}% of weights taken from the other model, mean w ${share.meanWeight.toFixed(3)} (${formatCount(share.elements)} sampled elements)`}
      </p>
    </div>
  );
}
