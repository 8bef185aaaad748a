/**
 * The fleet's Grafana dashboard, deploy/grafana/upkeep.json, built with Grafana's own typed model
 * and builders (@grafana/grafana-foundation-sdk, generated from Grafana's dashboard schema): a
 * field or value the model does not have fails the typecheck. `npm run dashboard` writes the file
 * (`npm run dashboard -- --output FILE` writes elsewhere); test/scripts/grafana-dashboard.test.ts
 * fails when the committed file is not what this builds, and test/deploy/fleet-prometheus.test.ts
 * runs every expression in it against a real Prometheus.
 *
 * The JSON is the shape the SDK gives (its defaults included), plus `__inputs` / `__requires`, the
 * two keys Grafana's "Export for sharing externally" adds and its import page reads to ask for the
 * Prometheus data source.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BigValueColorMode,
  BigValueGraphMode,
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TableSortByFieldStateBuilder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat, QueryEditorMode } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Where `npm run dashboard` writes the dashboard, relative to the repository. */
export const DASHBOARD_PATH = 'deploy/grafana/upkeep.json';

/** The dashboard Grafana imports: the SDK's model plus the import page's inputs and requirements. */
export type UpkeepDashboard = {
  __inputs: Array<{ name: string; label: string; description: string; type: 'datasource'; pluginId: string; pluginName: string }>;
  __requires: Array<{ type: 'grafana' | 'datasource' | 'panel'; id: string; name: string; version: string }>;
} & Dashboard;

/** Every panel, query, annotation and variable reads from the Prometheus chosen in this variable. */
const prometheus = { type: 'prometheus', uid: '${datasource}' };
/** The selectors every expression carries: the hosts (instances) and jobs chosen in the variables. */
const sel = 'instance=~"$host", job=~"$job"';
const all = { selected: true, text: ['All'], value: ['$__all'] };

/** A variable over a label's values (`query`: label_values(...)), every value by default, several allowed. */
function labelVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(prometheus)
    .definition(query)
    .query({ query, refId: name })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .includeAll(true)
    .multi(true)
    .allValue('.*')
    .current(all)
    .hide(VariableHide.DontHide)
    .regex('')
    .sort(VariableSort.AlphabeticalAsc);
}

/** A query over the time range, drawn as a series. */
function series(refId: string, expr: string, legend = ''): cog.Builder<cog.Dataquery> {
  return new DataqueryBuilder()
    .datasource(prometheus)
    .editorMode(QueryEditorMode.Code)
    .expr(expr)
    .refId(refId)
    .legendFormat(legend)
    .range()
    .format(PromQueryFormat.TimeSeries);
}

/** A query at the end of the time range, as table rows. */
function rows(refId: string, expr: string): cog.Builder<cog.Dataquery> {
  return new DataqueryBuilder().datasource(prometheus).editorMode(QueryEditorMode.Code).expr(expr).refId(refId).instant().format(PromQueryFormat.Table);
}

/** One number for the fleet: the last value of `expr`. */
function stat(id: number, title: string, description: string, width: number, expr: string): StatPanelBuilder {
  return new StatPanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .datasource(prometheus)
    .span(width)
    .height(4)
    .withTarget(series('A', expr))
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false))
    .colorMode(BigValueColorMode.Value)
    .graphMode(BigValueGraphMode.None)
    .unit('none');
}

/** A time series panel, half the width, with its legend under it and one tooltip for all series. */
function timeseries(id: number, title: string, description: string, unit: string, targets: Array<cog.Builder<cog.Dataquery>>): TimeseriesPanelBuilder {
  return new TimeseriesPanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .datasource(prometheus)
    .span(12)
    .height(8)
    .targets(targets)
    .unit(unit)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.None));
}

/** The dashboard as Grafana's model, with the keys of an exported dashboard first. */
export function buildDashboard(): UpkeepDashboard {
  const built = new DashboardBuilder('upkeep fleet')
    .uid('upkeep-fleet')
    .description('Docker hosts kept by upkeep: desired vs running containers, heals, alerts, latency, maintenance windows (docs/fleet.md).')
    .tags(['upkeep', 'docker'])
    .timezone('browser')
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .version(1)
    .refresh('1m')
    .time({ from: 'now-24h', to: 'now' })
    .liveNow(false)
    .withVariable(
      new DatasourceVariableBuilder('datasource')
        .label('Data source')
        .type('prometheus')
        .current({ selected: false, text: '${DS_PROMETHEUS}', value: '${DS_PROMETHEUS}' })
        .hide(VariableHide.DontHide)
        .includeAll(false)
        .multi(false)
        .regex(''),
    )
    .withVariable(labelVariable('job', 'Job', 'label_values(upkeep_build_info, job)'))
    .withVariable(labelVariable('host', 'Host', 'label_values(upkeep_build_info{job=~"$job"}, instance)'))
    .annotation(
      new AnnotationQueryBuilder()
        .builtIn(1)
        .name('Annotations & Alerts')
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)')
        .type('dashboard'),
    )
    .annotation(
      new AnnotationQueryBuilder()
        .name('Maintenance windows')
        .datasource(prometheus)
        .enable(true)
        .iconColor('orange')
        .expr(`upkeep_maintenance_active{${sel}} == 1`)
        .step('60s')
        .titleFormat('maintenance')
        .textFormat('{{instance}}')
        .tagKeys('instance')
        .useValueForTime(false),
    )
    // Panels are laid out by the builder: left to right, a new line when 24 columns are full.
    .withRow(new RowBuilder('Fleet').id(1))
    .withPanel(stat(2, 'Hosts reporting', 'Agents Prometheus scraped successfully at the last scrape.', 4, `count(up{${sel}} == 1) or vector(0)`))
    .withPanel(
      stat(
        3,
        'Hosts with desired containers down',
        'Hosts where at least one container that should run does not (maintenance windows included).',
        5,
        `count((upkeep_desired_containers{${sel}} - upkeep_desired_containers_running{${sel}}) > 0) or vector(0)`,
      )
        .colorMode(BigValueColorMode.Background)
        .thresholds(
          new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
            { color: 'green', value: null },
            { color: 'red', value: 1 },
          ]),
        ),
    )
    .withPanel(stat(4, 'Hosts in maintenance', 'Hosts with an open maintenance window.', 5, `sum(upkeep_maintenance_active{${sel}}) or vector(0)`))
    .withPanel(
      stat(
        5,
        'Hosts needing a reboot',
        'Hosts where an upgrade waits for a reboot (a host where it could not be told, NaN, is not counted: its table row says NaN).',
        5,
        `count(upkeep_reboot_required{${sel}} == 1) or vector(0)`,
      ),
    )
    .withPanel(stat(6, 'upkeep alerts firing', "upkeep's own alerts firing now, over the selected hosts.", 5, `sum(upkeep_alerts_firing{${sel}}) or vector(0)`))
    .withPanel(
      new TablePanelBuilder()
        .id(7)
        .title('Fleet overview')
        .description(
          'One row per host (instance): scrape state, desired and running containers, maintenance, reboot, pending upgrades, alerts firing and the age of the last reconcile.',
        )
        .datasource(prometheus)
        .span(24)
        .height(8)
        .targets([
          rows('A', `up{${sel}}`),
          rows('B', `upkeep_desired_containers{${sel}}`),
          rows('C', `upkeep_desired_containers_running{${sel}}`),
          rows('D', `upkeep_maintenance_active{${sel}}`),
          rows('E', `upkeep_reboot_required{${sel}}`),
          rows('F', `upkeep_pending_upgrades{${sel}}`),
          rows('G', `upkeep_alerts_firing{${sel}}`),
          rows('H', `time() - upkeep_last_reconcile_timestamp_seconds{${sel}}`),
        ])
        .withTransformation({ id: 'merge', options: {} })
        .withTransformation({
          id: 'organize',
          options: {
            excludeByName: { Time: true, __name__: true },
            renameByName: {
              'Value #A': 'Up',
              'Value #B': 'Desired',
              'Value #C': 'Running',
              'Value #D': 'Maintenance',
              'Value #E': 'Reboot required',
              'Value #F': 'Pending upgrades',
              'Value #G': 'Alerts firing',
              'Value #H': 'Since last reconcile',
            },
          },
        })
        .overrideByName('Since last reconcile', [{ id: 'unit', value: 's' }])
        .showHeader(true)
        .sortBy([new TableSortByFieldStateBuilder().displayName('Running').desc(false)]),
    )
    .withRow(new RowBuilder('Per host').id(8))
    .withPanel(
      timeseries(
        9,
        'Desired vs running containers',
        'Containers that should run and those that do, per host; a gap between the two lines is containers down.',
        'none',
        [
          series('A', `upkeep_desired_containers{${sel}}`, '{{instance}} desired'),
          series('B', `upkeep_desired_containers_running{${sel}}`, '{{instance}} running'),
        ],
      )
        .min(0)
        .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom)),
    )
    .withPanel(
      new TablePanelBuilder()
        .id(10)
        .title('Desired containers not running')
        .description('Each container in the desired state that does not run now, with its host and service.')
        .datasource(prometheus)
        .span(12)
        .height(8)
        .withTarget(rows('A', `upkeep_container_desired{${sel}} == 1 and on (job, instance, container) upkeep_container_running{${sel}} == 0`))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true, __name__: true } } })
        .showHeader(true),
    )
    .withRow(new RowBuilder('Heals and alerts').id(11))
    .withPanel(
      timeseries(12, 'Heals', 'Heal attempts by outcome (started, restarted, failed, gave_up) per host.', 'none', [
        series('A', `sum by (instance, outcome) (increase(upkeep_heals_total{${sel}}[$__rate_interval]))`, '{{instance}} {{outcome}}'),
      ]).drawStyle(GraphDrawStyle.Bars),
    )
    .withPanel(
      timeseries(13, 'Alerts', "upkeep's own alerts firing, and notifications delivered, failed or given up per channel.", 'none', [
        series('A', `sum by (instance) (upkeep_alerts_firing{${sel}})`, '{{instance}} firing'),
        series(
          'B',
          `sum by (instance, channel, outcome) (increase(upkeep_alert_deliveries_total{${sel}}[$__rate_interval]))`,
          '{{instance}} {{channel}} {{outcome}}',
        ),
      ]),
    )
    .withRow(new RowBuilder('Latency').id(14))
    .withPanel(
      timeseries(
        15,
        'Time to heal (p50, p95)',
        'From upkeep seeing a desired container down to having started it again (upkeep_heal_seconds). The die event itself reaches the agent within milliseconds; this is the part that varies (backoff, slow starts).',
        's',
        [
          series('A', `histogram_quantile(0.5, sum by (le, instance) (rate(upkeep_heal_seconds_bucket{${sel}}[$__rate_interval])))`, '{{instance}} p50'),
          series('B', `histogram_quantile(0.95, sum by (le, instance) (rate(upkeep_heal_seconds_bucket{${sel}}[$__rate_interval])))`, '{{instance}} p95'),
        ],
      ),
    )
    .withPanel(
      timeseries(
        16,
        'Detection: reconcile duration (p95) and age',
        'How long one look at the host takes (a death is judged within one reconcile of its event), and how long ago the last one finished (normally under the 60 s resync).',
        's',
        [
          series(
            'A',
            `histogram_quantile(0.95, sum by (le, instance) (rate(upkeep_reconcile_duration_seconds_bucket{${sel}}[$__rate_interval])))`,
            '{{instance}} reconcile p95',
          ),
          series('B', `time() - upkeep_last_reconcile_timestamp_seconds{${sel}}`, '{{instance}} since last reconcile'),
        ],
      ),
    )
    .build();
  return {
    __inputs: [
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        description: 'The Prometheus that scrapes the upkeep agents',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    // schemaVersion 42, the SDK's model, arrived in Grafana 12.2.
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '12.2.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      { type: 'panel', id: 'stat', name: 'Stat', version: '' },
      { type: 'panel', id: 'table', name: 'Table', version: '' },
      { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
    ],
    ...built,
  };
}

/** The file's bytes: two-space JSON and a final newline, the same on every run. */
export function renderDashboard(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (import.meta.main) {
  // `--output FILE` writes elsewhere (the test compares that file too); the default is the repository's.
  const at = process.argv.indexOf('--output');
  const target = at > 0 ? process.argv[at + 1] : fileURLToPath(new URL(`../${DASHBOARD_PATH}`, import.meta.url));
  if (!target) throw new Error('--output needs a file name: node --import tsx scripts/grafana-dashboard.ts --output FILE');
  writeFileSync(target, renderDashboard());
  process.stdout.write(`wrote ${at > 0 ? target : DASHBOARD_PATH}\n`);
}
