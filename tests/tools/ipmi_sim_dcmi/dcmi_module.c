/*
 * ipmi_sim loadlib module for bmcquiet's tests.
 *
 * ipmi_sim 2.0.33 answers every DCMI command with 0xC1 and its watchdog never
 * shows a running timer. This module replaces both, with state, following
 * DCMI 1.5 §6.6 (power management) and IPMI 2.0 §27 (watchdog):
 *
 *   loadlib "/path/ipmi_sim_dcmi.so" "power=250 limit_min=100 limit_max=2000"
 *
 * Power reading: the configured wattage, min/max/avg around it, measurement
 * active. Power limit: none at start (Get answers 0x80); Set validates limit,
 * correction time and sampling period (0x84/0x85/0x89); Activate/Deactivate.
 * Watchdog: Set stores and stops (unless "don't stop"), Reset starts or
 * restarts the countdown (0x80 before the first Set), Get reports the present
 * countdown and, once it reached zero, the expiration flag of the timer use.
 */
#include <OpenIPMI/mcserv.h>
#include <OpenIPMI/serv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DCMI_GROUP 0xDC
#define CC_OK 0x00
#define CC_NO_ACTIVE_LIMIT 0x80
#define CC_LIMIT_RANGE 0x84
#define CC_CORRECTION_RANGE 0x85
#define CC_SAMPLING_RANGE 0x89
#define CC_INVALID_CMD 0xC1
#define CC_LENGTH 0xC7
#define CC_INVALID_FIELD 0xCC
#define CC_WDT_UNINITIALIZED 0x80

static struct {
  unsigned int watts, limit_min, limit_max;
  int active;
  int limit_set;
  uint8_t action;
  uint16_t limit;
  uint32_t correction_ms;
  uint16_t sampling_s;
} power = {250, 100, 2000, 0, 0, 0, 0, 0, 0};

static struct {
  int initialized;
  int running;
  uint8_t use, actions, pretimeout, flags;
  uint16_t initial;    /* 100 ms units */
  uint64_t started_ms; /* monotonic */
} wdt;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void put16(unsigned char* p, unsigned int v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
}
static void put32(unsigned char* p, uint32_t v) {
  put16(p, v & 0xffff);
  put16(p + 2, v >> 16);
}
static unsigned int get16(const unsigned char* p) { return p[0] | (p[1] << 8); }
static uint32_t get32(const unsigned char* p) { return get16(p) | ((uint32_t)get16(p + 2) << 16); }

static void answer(unsigned char* rdata, unsigned int* rdata_len, uint8_t cc) {
  rdata[0] = cc;
  *rdata_len = 1;
}

#define FAIL(cc)                  \
  do {                            \
    answer(rdata, rdata_len, cc); \
    return;                       \
  } while (0)

static void dcmi_ack(unsigned char* rdata, unsigned int* rdata_len) {
  rdata[0] = CC_OK;
  rdata[1] = DCMI_GROUP;
  *rdata_len = 2;
}

static void dcmi_capabilities(msg_t* msg, unsigned char* rdata, unsigned int* rdata_len) {
  if (msg->len < 2) FAIL(CC_LENGTH);
  if (msg->data[1] != 1) FAIL(CC_INVALID_FIELD);
  unsigned char d[] = {CC_OK, DCMI_GROUP, 0x01, 0x05, 0x02, 0x00, /* reserved */
                       0x0F,  /* identification, SEL logging, chassis power, temperature */
                       0x01,  /* power management */
                       0x18}; /* out-of-band primary LAN, SOL */
  memcpy(rdata, d, sizeof(d));
  *rdata_len = sizeof(d);
}

static void dcmi_power_reading(msg_t* msg, unsigned char* rdata, unsigned int* rdata_len) {
  if (msg->len < 4) FAIL(CC_LENGTH);
  if (msg->data[1] != 1) FAIL(CC_INVALID_FIELD);
  rdata[0] = CC_OK;
  rdata[1] = DCMI_GROUP;
  put16(rdata + 2, power.watts);
  put16(rdata + 4, power.watts - 20);
  put16(rdata + 6, power.watts + 30);
  put16(rdata + 8, power.watts + 5);
  put32(rdata + 10, (uint32_t)time(NULL));
  put32(rdata + 14, 1000);
  rdata[18] = 0x40; /* power measurement active */
  *rdata_len = 19;
}

static void dcmi_get_limit(unsigned char* rdata, unsigned int* rdata_len) {
  rdata[0] = power.active ? CC_OK : CC_NO_ACTIVE_LIMIT;
  rdata[1] = DCMI_GROUP;
  rdata[2] = rdata[3] = 0;
  rdata[4] = power.action;
  put16(rdata + 5, power.limit);
  put32(rdata + 7, power.correction_ms);
  rdata[11] = rdata[12] = 0;
  put16(rdata + 13, power.sampling_s);
  *rdata_len = 15;
}

static void dcmi_set_limit(msg_t* msg, unsigned char* rdata, unsigned int* rdata_len) {
  if (msg->len < 15) FAIL(CC_LENGTH);
  const unsigned char* d = msg->data;
  uint8_t action = d[4];
  unsigned int limit = get16(d + 5);
  uint32_t correction = get32(d + 7);
  unsigned int sampling = get16(d + 13);
  if (action != 0x00 && action != 0x01 && action != 0x11) FAIL(CC_INVALID_FIELD);
  if (limit < power.limit_min || limit > power.limit_max) FAIL(CC_LIMIT_RANGE);
  if (correction < 1000 || correction > 600000) FAIL(CC_CORRECTION_RANGE);
  if (sampling < 1 || sampling > 3600) FAIL(CC_SAMPLING_RANGE);
  power.action = action;
  power.limit = limit;
  power.correction_ms = correction;
  power.sampling_s = sampling;
  power.limit_set = 1;
  dcmi_ack(rdata, rdata_len);
}

static void dcmi_activate(msg_t* msg, unsigned char* rdata, unsigned int* rdata_len) {
  if (msg->len < 2) FAIL(CC_LENGTH);
  if (msg->data[1] > 1) FAIL(CC_INVALID_FIELD);
  if (msg->data[1] == 1 && !power.limit_set) FAIL(0xD5);
  power.active = msg->data[1];
  dcmi_ack(rdata, rdata_len);
}

static void handle_dcmi(lmc_data_t* mc, msg_t* msg, unsigned char* rdata, unsigned int* rdata_len,
                        void* cb_data) {
  (void)mc;
  (void)cb_data;
  switch (msg->cmd) {
    case 0x01:
      dcmi_capabilities(msg, rdata, rdata_len);
      return;
    case 0x02:
      dcmi_power_reading(msg, rdata, rdata_len);
      return;
    case 0x03:
      dcmi_get_limit(rdata, rdata_len);
      return;
    case 0x04:
      dcmi_set_limit(msg, rdata, rdata_len);
      return;
    case 0x05:
      dcmi_activate(msg, rdata, rdata_len);
      return;
    default:
      answer(rdata, rdata_len, CC_INVALID_CMD);
      return;
  }
}

/* Remaining countdown in 100 ms units; stops the timer at zero. */
static unsigned int wdt_present(void) {
  if (!wdt.running) return wdt.initial;
  uint64_t elapsed = (now_ms() - wdt.started_ms) / 100;
  if (elapsed >= wdt.initial) {
    wdt.running = 0;
    wdt.flags |= (uint8_t)(1 << (wdt.use & 7));
    return 0;
  }
  return (unsigned int)(wdt.initial - elapsed);
}

static void handle_wdt_set(lmc_data_t* mc, msg_t* msg, unsigned char* rdata,
                           unsigned int* rdata_len, void* cb_data) {
  (void)mc;
  (void)cb_data;
  if (msg->len < 6) FAIL(CC_LENGTH);
  const unsigned char* d = msg->data;
  if ((d[0] & 7) == 0 || (d[0] & 7) > 5 || (d[1] & 7) > 3) FAIL(CC_INVALID_FIELD);
  int keep = (d[0] & 0x40) && wdt.running;
  wdt_present(); /* account an expiry before the parameters change */
  wdt.use = d[0] & 0x87;
  wdt.actions = d[1] & 0x77;
  wdt.pretimeout = d[2];
  wdt.flags &= (uint8_t)~d[3];
  wdt.initial = (uint16_t)get16(d + 4);
  wdt.initialized = 1;
  if (keep) {
    wdt.started_ms = now_ms();
  } else {
    wdt.running = 0;
  }
  answer(rdata, rdata_len, CC_OK);
}

static void handle_wdt_reset(lmc_data_t* mc, msg_t* msg, unsigned char* rdata,
                             unsigned int* rdata_len, void* cb_data) {
  (void)mc;
  (void)msg;
  (void)cb_data;
  if (!wdt.initialized) FAIL(CC_WDT_UNINITIALIZED);
  wdt.running = 1;
  wdt.started_ms = now_ms();
  answer(rdata, rdata_len, CC_OK);
}

static void handle_wdt_get(lmc_data_t* mc, msg_t* msg, unsigned char* rdata,
                           unsigned int* rdata_len, void* cb_data) {
  (void)mc;
  (void)msg;
  (void)cb_data;
  unsigned int present = wdt_present();
  rdata[0] = CC_OK;
  rdata[1] = (uint8_t)((wdt.use & 0x87) | (wdt.running ? 0x40 : 0));
  rdata[2] = wdt.actions;
  rdata[3] = wdt.pretimeout;
  rdata[4] = wdt.flags;
  put16(rdata + 5, wdt.initial);
  put16(rdata + 7, present);
  *rdata_len = 9;
}

static unsigned int option(const char* options, const char* key, unsigned int fallback) {
  const char* p = options ? strstr(options, key) : NULL;
  return p ? (unsigned int)strtoul(p + strlen(key), NULL, 0) : fallback;
}

int ipmi_sim_module_init(sys_data_t* sys, const char* options) {
  (void)sys;
  power.watts = option(options, "power=", 250);
  power.limit_min = option(options, "limit_min=", 100);
  power.limit_max = option(options, "limit_max=", 2000);
  ipmi_emu_register_group_extension_handler(DCMI_GROUP, handle_dcmi, NULL);
  ipmi_emu_register_cmd_handler(0x06, 0x22, handle_wdt_reset, NULL);
  ipmi_emu_register_cmd_handler(0x06, 0x24, handle_wdt_set, NULL);
  ipmi_emu_register_cmd_handler(0x06, 0x25, handle_wdt_get, NULL);
  return 0;
}
