// The shapes bmcquiet.json is checked against: Grafana's own dashboard and
// panel-plugin types from @grafana/schema, adapted only where JSON differs
// from TypeScript (string enums are written as their values) and where the
// Prometheus plugin adds fields @grafana/schema does not describe.
import type {
  AnnotationQuery,
  Dashboard,
  DataQuery,
  DataSourceRef,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
} from '@grafana/schema';
import type * as BarGauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as Heatmap from '@grafana/schema/dist/esm/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as StateTimeline from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';
import type * as Table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

// JSON has no enums: a string enum is written as one of its values.
export type Json<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

// A Prometheus query (the Prometheus plugin's PromQuery; not in @grafana/schema).
export interface PromQuery extends DataQuery {
  expr: string;
  legendFormat?: string;
  format?: 'time_series' | 'table' | 'heatmap';
  instant?: boolean;
  range?: boolean;
  interval?: string;
  editorMode?: 'code' | 'builder';
  exemplar?: boolean;
}

// Panel plugin id → [panel options, custom field config] from @grafana/schema.
interface Plugins {
  timeseries: [TimeSeries.Options, TimeSeries.FieldConfig];
  heatmap: [Heatmap.Options, Heatmap.FieldConfig];
  stat: [Stat.Options, Record<string, never>];
  bargauge: [BarGauge.Options, Record<string, never>];
  'state-timeline': [StateTimeline.Options, StateTimeline.FieldConfig];
  table: [Table.Options, Table.FieldConfig];
}
export type PluginId = keyof Plugins;

type CheckedFieldConfig<Custom> = Omit<Json<FieldConfigSource>, 'defaults'> & {
  defaults: Omit<Json<FieldConfig>, 'custom'> & { custom?: Json<Custom> };
};

// Every bmcquiet panel queries the dashboard's Prometheus data source.
export type CheckedPanel<K extends PluginId> = Omit<
  Json<Panel>,
  'type' | 'options' | 'fieldConfig' | 'targets' | 'datasource'
> & {
  type: K;
  datasource: Json<DataSourceRef>;
  targets: Array<Json<PromQuery>>;
  options: Json<Plugins[K][0]>;
  fieldConfig: CheckedFieldConfig<Plugins[K][1]>;
};
export type CheckedRow = Json<RowPanel>;
type AnyPanel = { [K in PluginId]: CheckedPanel<K> }[PluginId];

// Fields the Prometheus plugin reads from an annotation query besides target.
interface PromAnnotationFields {
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
}
type CheckedAnnotation = Json<AnnotationQuery<PromQuery>> & PromAnnotationFields;

// Query variables carry the Prometheus plugin's variable query object.
export type CheckedDashboard = Omit<Json<Dashboard>, 'panels' | 'annotations'> & {
  panels: Array<AnyPanel | CheckedRow>;
  annotations: { list: Array<CheckedAnnotation> };
};
