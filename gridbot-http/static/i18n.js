// English and Korean strings. Elements with data-i18n="key" get their text
// from the current language (data-i18n-title / data-i18n-placeholder for
// attributes); t(key, vars) formats "{name}" placeholders. A language
// switch calls every listener registered with onLangChange, so whatever was
// rendered is rendered again.
export const STRINGS = {
  en: {
    skip: 'Skip to content', logout: 'Log out', lang: 'Language',
    'login.title': 'Log in', 'login.username': 'User name', 'login.password': 'Password', 'login.submit': 'Log in',
    'bal.used': 'Balance used', 'bal.inuse': '{pct} in use', 'bal.available': 'Available', 'bal.active': 'Active bots', 'bal.pnl': 'Total PnL', 'bal.live': 'Updates',
    'live.sse': 'live', 'live.poll': 'every 5 s',
    strategies: 'Strategies', 'tab.templates': 'Templates', 'tab.ai': 'AI', 'tab.manual': 'Manual',
    'ai.symbol': 'Symbol', 'ai.analyze': 'Analyse', 'ai.loading': 'Backtesting candidates…', 'ai.none': 'No viable grid for this market now.',
    'ai.roi30': '30-day ROI (forecast)', 'ai.roi7': 'Next 7 days (forecast)', 'ai.roi7range': 'range {low} to {high}',
    'ai.backtest': 'Backtest over {days} days', 'ai.track': 'Past picks, the week after', 'ai.nopick': '{risk}: no safe pick now. {reason}',
    'ai.stepped': 'No {from}X setup is safe this week: stepped down to {lev}X.',
    'ai.min': 'Min investment', 'ai.duration': 'Duration', 'ai.range': 'Range', 'ai.grids': 'Grids',
    'ai.drawdown': 'Max drawdown', 'ai.trend': 'Trend: {trend} · 24 h volatility {vol} · price {price}',
    'trend.uptrend': 'rising', 'trend.downtrend': 'falling', 'trend.sideways': 'sideways',
    'ai.desc': '{risk} grid from {lower} to {upper} with {grids} grids at {lev}×.',
    use: 'Use', start: 'Start', stop: 'Stop', cancel: 'Cancel', close: 'Close', details: 'Details', restart: 'Restart', delete: 'Delete', edit: 'Edit', save: 'Save',
    'risk.conservative': 'Conservative', 'risk.moderate': 'Moderate', 'risk.aggressive': 'Aggressive',
    'mode.long': 'Long', 'mode.short': 'Short', 'mode.neutral': 'Neutral', 'sp.arith': 'Arithmetic', 'sp.geo': 'Geometric',
    'kind.grid': 'Grid', 'kind.trend': 'Trend', 'side.buy': 'Buy', 'side.sell': 'Sell',
    'm.symbol': 'Symbol', 'm.mode': 'Mode', 'm.spacing': 'Spacing', 'm.lower': 'Lower price', 'm.upper': 'Upper price',
    'm.grids': 'Grids', 'm.leverage': 'Leverage', 'm.investment': 'Investment (USDT)', 'm.sl': 'Stop-loss price', 'm.tp': 'Take-profit price',
    'm.start': 'Start grid bot', 'p.levels': 'Levels', 'p.qty': 'Qty per grid', 'p.margin': 'Required margin', 'p.profit': 'Profit per grid',
    'p.liq': 'Liquidation price', 'p.none': 'none', 'p.warnings': 'Worth a look',
    'tpl.leverage': 'Leverage', 'tpl.sl': 'Stop-loss', 'tpl.tp': 'Take-profit', 'tpl.range': 'Investment', 'tpl.featured': 'Featured',
    'start.title': 'Start bot', 'start.how': 'Investment', 'start.amount': 'Amount (USDT)', 'start.percent': '% of available',
    'start.value': 'Value', 'start.confirm': 'Confirm', 'start.ok': '{amount} of {available} available; {remaining} will remain.',
    'start.started': 'Bot started', 'start.checking': 'Checking…',
    'bots.title': 'My bots', 'bots.filter': 'Show', 'bots.active': 'Active', 'bots.all': 'All', 'bots.empty': 'No bots here yet. Pick a strategy below.',
    'bot.allocation': 'Allocation', 'bot.pnl': 'PnL', 'bot.roi': 'ROI', 'bot.fills': 'Fills', 'bot.confirm': 'Stop {name}? Orders are cancelled and the position is closed.',
    'bot.stopped': 'Bot stopped', 'bot.deleted': 'Bot deleted', 'bot.confirm_delete': 'Delete {name}? It was never started.',
    'detail.equity': 'Equity', 'detail.grid': 'Grid and open orders', 'detail.trades': 'Trades', 'detail.price': 'Price',
    'd.roi': 'ROI', 'd.apr': 'APR', 'd.apr_wait': 'after a day', 'd.grid_profit': 'Grid profit', 'd.unrealized': 'Unrealised', 'd.fees': 'Fees', 'd.fills': 'Fills',
    'd.position': 'Position', 'd.entry': 'Entry', 'd.sl': 'Stop-loss', 'd.tp': 'Take-profit', 'd.state': 'State', 'd.flat': 'flat',
    'ts.waiting_for_cross': 'waiting for a cross', 'ts.in_position': 'in a position', 'ts.idle': 'not running',
    't.time': 'Time', 't.side': 'Side', 't.price': 'Price', 't.qty': 'Qty', 't.fee': 'Fee', 't.pnl': 'PnL',
    'status.created': 'created', 'status.starting': 'starting', 'status.running': 'running', 'status.paused': 'paused',
    'status.stopping': 'stopping', 'status.stopped': 'stopped', 'status.error': 'error',
    'grids.title': 'My grid bots', 'grids.symbol': 'Symbol', 'grids.roi': 'ROI', 'grids.investment': 'Investment', 'grids.status': 'Status', 'grids.actions': 'Actions',
    'grids.empty': 'No grid bots yet.',
    'edit.title': 'Edit grid', 'edit.sl': 'Stop-loss price', 'edit.tp': 'Take-profit price', 'edit.trigger': 'Trigger price', 'edit.hint': 'Leave empty to remove.', 'edit.saved': 'Grid updated',
    'riskp.title': 'Risk settings', 'riskp.daily': 'Daily loss limit (USDT, empty = none)', 'riskp.lev': 'Leverage cap', 'riskp.pos': 'Most bots holding a position',
    'riskp.close': 'Close positions when the daily limit pauses bots', 'riskp.saved': 'Risk settings saved',
    'riskp.help': 'The daily loss limit pauses every bot when today’s loss reaches it; new starts wait for 00:00 UTC. Starts above the leverage cap are refused.',
    'orphan.title': 'The exchange holds something no running bot owns',
    'orphan.position': '{symbol}: position {qty} at {entry}', 'orphan.orders': '{symbol}: {n} resting order(s)', 'orphan.close': 'Close on {symbol}',
    'orphan.closed': 'Closed on {symbol}',
    unit: 'USDT',
  },
  ko: {
    skip: '본문으로 건너뛰기', logout: '로그아웃', lang: '언어',
    'login.title': '로그인', 'login.username': '사용자 이름', 'login.password': '비밀번호', 'login.submit': '로그인',
    'bal.used': '잔고 사용량', 'bal.inuse': '{pct} 사용 중', 'bal.available': '가용 잔고', 'bal.active': '활성 봇', 'bal.pnl': '총 수익', 'bal.live': '업데이트',
    'live.sse': '실시간', 'live.poll': '5초마다',
    strategies: '전략', 'tab.templates': '템플릿', 'tab.ai': 'AI', 'tab.manual': '수동',
    'ai.symbol': '심볼', 'ai.analyze': '분석', 'ai.loading': '후보 백테스트 중…', 'ai.none': '지금은 적합한 그리드가 없습니다.',
    'ai.roi30': '30일 수익률 (예상)', 'ai.roi7': '다음 7일 (예상)', 'ai.roi7range': '범위 {low} ~ {high}',
    'ai.backtest': '최근 {days}일 백테스트', 'ai.track': '과거 추천의 다음 주 결과', 'ai.nopick': '{risk}: 지금은 안전한 추천이 없습니다. {reason}',
    'ai.stepped': '이번 주에는 안전한 {from}X 설정이 없어 {lev}X로 낮췄습니다.',
    'ai.min': '최소 투자금', 'ai.duration': '권장 기간', 'ai.range': '가격 범위', 'ai.grids': '그리드 수',
    'ai.drawdown': '최대 낙폭', 'ai.trend': '추세: {trend} · 24시간 변동성 {vol} · 가격 {price}',
    'trend.uptrend': '상승', 'trend.downtrend': '하락', 'trend.sideways': '횡보',
    'ai.desc': '{lower}–{upper} 범위, 그리드 {grids}개, 레버리지 {lev}배의 {risk} 그리드입니다.',
    use: '사용', start: '시작', stop: '중지', cancel: '취소', close: '닫기', details: '상세', restart: '재시작', delete: '삭제', edit: '수정', save: '저장',
    'risk.conservative': '보수적', 'risk.moderate': '중립', 'risk.aggressive': '공격적',
    'mode.long': '롱', 'mode.short': '숏', 'mode.neutral': '중립', 'sp.arith': '등차', 'sp.geo': '등비',
    'kind.grid': '그리드', 'kind.trend': '추세', 'side.buy': '매수', 'side.sell': '매도',
    'm.symbol': '심볼', 'm.mode': '모드', 'm.spacing': '간격', 'm.lower': '하한가', 'm.upper': '상한가',
    'm.grids': '그리드 수', 'm.leverage': '레버리지', 'm.investment': '투자금 (USDT)', 'm.sl': '손절가', 'm.tp': '익절가',
    'm.start': '그리드 봇 시작', 'p.levels': '가격선', 'p.qty': '그리드당 수량', 'p.margin': '필요 증거금', 'p.profit': '그리드당 수익',
    'p.liq': '청산가', 'p.none': '없음', 'p.warnings': '확인할 점',
    'tpl.leverage': '레버리지', 'tpl.sl': '손절', 'tpl.tp': '익절', 'tpl.range': '투자금', 'tpl.featured': '추천',
    'start.title': '봇 시작', 'start.how': '투자금', 'start.amount': '금액 (USDT)', 'start.percent': '가용 잔고의 %',
    'start.value': '값', 'start.confirm': '확인', 'start.ok': '가용 {available} 중 {amount} 사용, {remaining} 남음.',
    'start.started': '봇이 시작되었습니다', 'start.checking': '확인 중…',
    'bots.title': '내 봇', 'bots.filter': '보기', 'bots.active': '활성', 'bots.all': '전체', 'bots.empty': '아직 봇이 없습니다. 아래에서 전략을 고르세요.',
    'bot.allocation': '할당', 'bot.pnl': '손익', 'bot.roi': '수익률', 'bot.fills': '체결', 'bot.confirm': '{name} 봇을 중지할까요? 주문이 취소되고 포지션이 청산됩니다.',
    'bot.stopped': '봇이 중지되었습니다', 'bot.deleted': '봇이 삭제되었습니다', 'bot.confirm_delete': '{name} 봇을 삭제할까요? 한 번도 시작되지 않았습니다.',
    'detail.equity': '자산', 'detail.grid': '그리드와 미체결 주문', 'detail.trades': '거래', 'detail.price': '가격',
    'd.roi': '수익률', 'd.apr': '연수익률', 'd.apr_wait': '하루 후 표시', 'd.grid_profit': '그리드 수익', 'd.unrealized': '미실현 손익', 'd.fees': '수수료', 'd.fills': '체결',
    'd.position': '포지션', 'd.entry': '진입가', 'd.sl': '손절가', 'd.tp': '익절가', 'd.state': '상태', 'd.flat': '없음',
    'ts.waiting_for_cross': '교차 대기 중', 'ts.in_position': '포지션 보유 중', 'ts.idle': '실행 안 함',
    't.time': '시간', 't.side': '방향', 't.price': '가격', 't.qty': '수량', 't.fee': '수수료', 't.pnl': '손익',
    'status.created': '생성됨', 'status.starting': '시작 중', 'status.running': '실행 중', 'status.paused': '일시정지',
    'status.stopping': '중지 중', 'status.stopped': '중지됨', 'status.error': '오류',
    'grids.title': '내 그리드 봇', 'grids.symbol': '심볼', 'grids.roi': '수익률', 'grids.investment': '투자금', 'grids.status': '상태', 'grids.actions': '작업',
    'grids.empty': '아직 그리드 봇이 없습니다.',
    'edit.title': '그리드 수정', 'edit.sl': '손절가', 'edit.tp': '익절가', 'edit.trigger': '트리거 가격', 'edit.hint': '비워 두면 삭제됩니다.', 'edit.saved': '그리드가 수정되었습니다',
    'riskp.title': '위험 설정', 'riskp.daily': '일일 손실 한도 (USDT, 비우면 없음)', 'riskp.lev': '최대 레버리지', 'riskp.pos': '포지션 보유 최대 봇 수',
    'riskp.close': '일일 한도로 봇이 멈출 때 포지션도 청산', 'riskp.saved': '위험 설정이 저장되었습니다',
    'riskp.help': '오늘 손실이 일일 한도에 닿으면 모든 봇이 일시정지되고 새 시작은 00:00 UTC까지 기다립니다. 최대 레버리지를 넘는 시작은 거부됩니다.',
    'orphan.title': '실행 중인 봇이 없는 포지션이나 주문이 거래소에 있습니다',
    'orphan.position': '{symbol}: 포지션 {qty} (진입가 {entry})', 'orphan.orders': '{symbol}: 미체결 주문 {n}개', 'orphan.close': '{symbol} 정리',
    'orphan.closed': '{symbol} 정리됨',
    unit: 'USDT',
  },
};

let lang = localStorage.getItem('gridbot.lang') === 'ko' ? 'ko' : 'en';
const listeners = [];

export function currentLang() { return lang; }

export function t(key, vars) {
  let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
  return s;
}

export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  const toggle = document.getElementById('lang-toggle');
  if (toggle) toggle.textContent = lang === 'en' ? '한국어' : 'English';
}

export function onLangChange(fn) { listeners.push(fn); }

export function toggleLang() {
  lang = lang === 'en' ? 'ko' : 'en';
  localStorage.setItem('gridbot.lang', lang);
  applyI18n();
  for (const fn of listeners) fn(lang);
}
