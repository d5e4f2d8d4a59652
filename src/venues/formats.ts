/** Every file format `orderflow import` can read, in detection order. */
import type { FileFormat } from '../core/format.ts';
import { binanceFormats } from './binance/archive.ts';
import { bybitFormats } from './bybit/archive.ts';
import { freqtradeFormats } from './freqtrade/archive.ts';
import { okxFormats } from './okx/archive.ts';
import { tardisFormats } from './tardis/archive.ts';

export function allFormats(): readonly FileFormat[] {
  return [...binanceFormats, ...bybitFormats, ...okxFormats, ...tardisFormats, ...freqtradeFormats];
}
