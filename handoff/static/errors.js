/*
 * Server error messages in the console's language.
 *
 * The API answers errors as {"error": {"code", "message"}} with an English message for
 * logs and scripts. The console shows one language at a time, so it words the errors an
 * agent can meet itself, keyed by the stable code; an unknown code falls back to the
 * server's message (better than nothing, and the code is in the console's log).
 * desk_errors.js holds the rest of the codes; every console page imports errorText from here.
 */
import { MORE } from "./desk_errors.js";

const ERRORS = {
  zh: {
    held_by_other: "该会话正由其他客服处理",
    already_resolved: "该会话已经解决",
    already_bot: "该会话已由机器人接待",
    not_transferable: "只能转接排队中或处理中的会话",
    supervisor_only: "只有主管可以分配排队中的会话",
    agent_offline: "对方已离线，无法转接",
    same_agent: "该客服已经在处理这个会话",
    no_ticket: "这个会话没有工单",
    illegal_transition: "工单当前状态不能这样变更",
    merge_closed: "已关闭的工单不能合并",
    merge_self: "不能把工单合并到它自己",
    empty_text: "消息内容为空",
    too_long: "消息太长了",
    bad_text: "消息格式不正确",
    bad_status: "状态不正确",
    bad_priority: "优先级只能是 普通、高 或 紧急",
    bad_transfer: "请选择要转接的客服",
    other_team: "这个会话属于其他团队",
    role_required: "需要主管或管理员权限",
    csrf: "请求被拒绝，请刷新页面后重试",
    login_required: "登录已过期，请重新登录",
    bad_credentials: "邮箱或密码错误",
    locked: "尝试次数过多，请稍后再试",
    rate_limited: "操作太频繁，请稍后再试",
    not_found: "找不到该会话或工单",
    unavailable: "服务暂时不可用，请稍后再试",
    internal_error: "服务器出错了，请稍后再试",
    bad_query: "请输入要搜索的内容",
  },
  en: {
    held_by_other: "Another agent is handling this conversation",
    already_resolved: "This conversation is already resolved",
    already_bot: "The bot already holds this conversation",
    not_transferable: "Only queued or handled conversations can be transferred",
    supervisor_only: "Only supervisors assign queued conversations",
    agent_offline: "That agent is offline",
    same_agent: "That agent already holds this conversation",
    no_ticket: "This conversation has no ticket",
    illegal_transition: "The ticket cannot move to that status now",
    merge_closed: "Closed tickets cannot be merged",
    merge_self: "A ticket cannot be merged into itself",
    empty_text: "The message is empty",
    too_long: "The message is too long",
    bad_text: "The message is not valid",
    bad_status: "That status is not valid",
    bad_priority: "Priority must be normal, high or urgent",
    bad_transfer: "Pick an agent to transfer to",
    other_team: "This conversation belongs to another team",
    role_required: "This needs the supervisor or admin role",
    csrf: "Request refused; reload the page and try again",
    login_required: "Your session has expired; please log in again",
    bad_credentials: "Wrong email or password",
    locked: "Too many attempts; try again later",
    rate_limited: "Too many requests; try again later",
    not_found: "That conversation or ticket does not exist",
    unavailable: "The service is unavailable; try again shortly",
    internal_error: "Something went wrong on the server; try again shortly",
    bad_query: "Type something to search for",
  },
};

/** The console's wording of an API error code in `lang`, or null when it has none. */
export function errorText(code, lang) {
  for (const tables of [MORE, ERRORS]) {
    const table = tables[lang === "en" ? "en" : "zh"];
    if (code && Object.prototype.hasOwnProperty.call(table, code) && table[code]) return table[code];
  }
  return null;
}
