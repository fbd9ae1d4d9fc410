# Static checks of the shipped Prometheus rules and Grafana dashboard. They
# need promtool (Debian prometheus) and npm; scripts/setup-test installs both. A
# missing tool makes the check skip (exit 77) with a message, not pass.
set(BMCQUIET_DASHBOARDS ${CMAKE_SOURCE_DIR}/dashboards)

function(bmcquiet_static_check name)
  add_test(NAME "static: ${name}" COMMAND ${ARGN})
  set_tests_properties("static: ${name}" PROPERTIES LABELS "static;no-sanitize"
    SKIP_RETURN_CODE 77 TIMEOUT 300)
endfunction()

find_program(BMCQUIET_PROMTOOL promtool)
if(NOT BMCQUIET_PROMTOOL)
  set(BMCQUIET_PROMTOOL sh -c "echo 'promtool not found: run scripts/setup-test (Debian prometheus)' && exit 77" --)
endif()

bmcquiet_static_check("promtool check rules dashboards/rules/bmcquiet.rules.yml"
  ${BMCQUIET_PROMTOOL} check rules ${BMCQUIET_DASHBOARDS}/rules/bmcquiet.rules.yml)

file(GLOB BMCQUIET_RULE_TESTS CONFIGURE_DEPENDS ${BMCQUIET_DASHBOARDS}/rules/tests/*.yml)
bmcquiet_static_check("promtool test rules dashboards/rules/tests"
  ${BMCQUIET_PROMTOOL} test rules ${BMCQUIET_RULE_TESTS})

bmcquiet_static_check("every alert has a firing and a silent promtool test"
  ${BMCQUIET_DASHBOARDS}/rules/check-coverage.sh)

bmcquiet_static_check("dashboards/*.json (node and fleet) match @grafana/schema (tsc)"
  ${BMCQUIET_DASHBOARDS}/check-schema.sh ${CMAKE_BINARY_DIR}/dashboards-schema-check)

bmcquiet_static_check("every metric in dashboards/ is defined in lib/"
  ${BMCQUIET_DASHBOARDS}/check-metric-names.sh)

# The shipped rules and check's thresholds are the mixin generator's output;
# an override renders valid rules with another job and threshold.
find_program(BMCQUIET_PYTHON3 python3 REQUIRED)
# lib/'s rooms include only lower rooms (docs/ARCHITECTURE.md); scripts/test
# runs it first too, before anything is built.
bmcquiet_static_check("includes point down the layers (scripts/layers.py --check)"
  ${BMCQUIET_PYTHON3} ${CMAKE_SOURCE_DIR}/scripts/layers.py --check)
bmcquiet_static_check("dashboards/rules and check thresholds match dashboards/mixin/generate.py"
  ${BMCQUIET_PYTHON3} ${BMCQUIET_DASHBOARDS}/mixin/generate.py --check)
bmcquiet_static_check("mixin override: another job selector and threshold render valid rules"
  ${BMCQUIET_DASHBOARDS}/mixin/test-override.sh ${CMAKE_BINARY_DIR}/mixin-override
  ${BMCQUIET_PROMTOOL})

bmcquiet_static_check("man pages and bash completion match --help and config/bmcquiet.yaml"
  ${CMAKE_SOURCE_DIR}/docs/man/check.sh ${CMAKE_BINARY_DIR}/man-check
  $<TARGET_FILE:bmcquietd> $<TARGET_FILE:bmcquietctl>)
